"""法规库, 案例库, 知识库: regulations at article level, anonymised cases, guides and standard
finding wordings, shared up and down the hierarchy, cited by rules and findings, searched in
Chinese (issue 16)."""
