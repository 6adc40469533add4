"""Results of parallel runs taken in order: pdflatex runs of a document's parts finish in any
order, but the joined PDF and sheets.json take the parts in document order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class InOrder(Generic[T]):
    """Items numbered 1 … ``count`` arrive in any order (``add``); each is handed to ``take`` as
    soon as every item before it has been, so the work overlaps the runs still going. Safe to
    call from several threads: ``take`` runs under a lock, one item at a time."""

    def __init__(self, take: Callable[[T], None], count: int) -> None:
        self.take, self.count = take, count
        self.waiting: dict[int, T] = {}
        self.next = 1
        self.lock = threading.Lock()

    @property
    def complete(self) -> bool:
        return self.next > self.count

    def add(self, number: int, item: T) -> None:
        with self.lock:
            self.waiting[number] = item
            while self.next in self.waiting:
                self.take(self.waiting.pop(self.next))
                self.next += 1
