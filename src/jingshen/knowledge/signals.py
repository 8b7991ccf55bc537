"""``content_changed``: sent by every knowledge service after a write that changes what a reader
finds (a regulation imported, published, revised or repealed; a case published or withdrawn; a
guide or standard wording saved or removed), inside the write's transaction, with
``instance`` the Regulation, Case, Guide or StandardWording and ``deleted`` whether it is gone.
The search index (knowledge/search.py) receives it and updates its rows, so no writer needs to
know how the index works."""

from django.dispatch import Signal

content_changed = Signal()  # sender: the model class; kwargs: instance, deleted (bool)
