"""Singer output: RECORD messages without redundant work, written without per-record flushes."""

from __future__ import annotations

import atexit
import contextlib
import sys
import time
import typing as t
from functools import cached_property

from singer_sdk import Stream
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.contrib.msgspec import encoder as _encoder
from singer_sdk.helpers._catalog import pop_deselected_record_properties
from singer_sdk.helpers._util import utc_now
from singer_sdk.singerlib import SingerMessageType

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    import datetime
    from collections.abc import Callable

    from singer_sdk.helpers.types import Record
    from singer_sdk.singerlib import Message

#: Longest a written message may wait in the buffer before it reaches the target.
MAX_UNFLUSHED_SECONDS = 1.0
#: Buffer size that triggers a write.
BUFFER_BYTES = 64 * 1024


class BufferedMsgSpecWriter(MsgSpecWriter):
    """Writes like the SDK's msgspec writer, but in blocks instead of a syscall per message.

    Messages collect in a buffer (stdout is often unbuffered: PYTHONUNBUFFERED) that is
    written out with every STATE message, so a target never holds a state ahead of records
    still in our buffer; when it grows past ``BUFFER_BYTES``; after ``MAX_UNFLUSHED_SECONDS``
    on slow syncs (checked at the next message); and at exit.

    A signal handler that writes (the SDK's SIGTERM handler writes a last STATE) must not run
    in the middle of a write: the block would be cut and then written again. While a write is
    in progress such a handler is parked with ``defer`` and runs right after it.
    """

    _pending: bytearray | None = None
    _stream: t.TextIO | None = None
    _last_flush = 0.0
    _writing = False
    _deferred: Callable[[], None] | None = None

    @override
    def write_message(self, message: Message) -> None:
        self._append(message.to_dict(), flush=message.type == SingerMessageType.STATE)

    def write_record(
        self,
        stream: str,
        record: Record,
        version: int | None,
        time_extracted: datetime.datetime,
    ) -> None:
        """Write a RECORD message exactly as ``RecordMessage.to_dict`` renders it.

        The per-record path: no message object is built only to be turned into a dict.

        Args:
            stream: Stream name (or its alias after stream maps).
            record: The record.
            version: The stream version, if any.
            time_extracted: When the record was extracted.
        """
        message: dict[str, t.Any] = {"type": "RECORD", "stream": stream, "record": record}
        if version is not None:
            message["version"] = version
        message["time_extracted"] = time_extracted
        self._append(message, flush=False)

    def _append(self, message: dict[str, t.Any], *, flush: bool) -> None:
        self._writing = True
        try:
            if sys.stdout is not self._stream:  # first message, or stdout was redirected
                self._write_out()
                self._stream = sys.stdout
            pending = self._pending
            if pending is None:
                pending = self._pending = bytearray()
                atexit.register(self._flush_at_exit)
            # As the SDK's MsgSpecWriter serializes, but straight onto the end of the buffer.
            _encoder.encode_into(message, pending, -1)
            pending += b"\n"
            now = time.monotonic()
            if (
                flush
                or len(pending) > BUFFER_BYTES
                or now - self._last_flush > MAX_UNFLUSHED_SECONDS
            ):
                self._write_out()
                self._last_flush = now
        finally:
            self._writing = False
        if self._deferred is not None:
            self._run_deferred()

    def defer(self, handler: Callable[[], None]) -> bool:
        """Park ``handler`` until the write in progress is done.

        Args:
            handler: What a signal handler wants to do.

        Returns:
            True when it was parked; False when no write is in progress (run it now).
        """
        if not self._writing:
            return False
        self._deferred = handler
        return True

    def flush(self) -> None:
        """Write out every buffered message to the stdout they were written for."""
        self._writing = True
        try:
            self._write_out()
        finally:
            self._writing = False
        self._run_deferred()

    def _write_out(self) -> None:
        if self._stream is None:
            return
        if self._pending:
            # An unbuffered stdout is a raw file: one write may take only part of the block
            # (a signal arriving while a full pipe blocks us), so write until all is out.
            with memoryview(self._pending) as block:
                written = 0
                while written < len(block):
                    written += self._stream.buffer.write(block[written:]) or 0
            self._pending.clear()
        self._stream.flush()

    def _run_deferred(self) -> None:
        handler, self._deferred = self._deferred, None
        if handler is not None:
            handler()

    def _flush_at_exit(self) -> None:
        with contextlib.suppress(ValueError, OSError):  # that stdout may be closed by now
            self.flush()


class LeanRecordMessages(Stream):
    """Writes RECORD messages as the SDK does, minus the per-record work that changes nothing.

    The SDK walks every record against the schema twice: once to drop deselected properties
    and once to conform types. Our records arrive conformed (see ``TYPE_CONFORMANCE_LEVEL``),
    and the walk for deselected properties is kept only when some property is deselected.
    Records go to ``BufferedMsgSpecWriter.write_record`` without a message object in between.
    Stream maps, flattening and aliases apply exactly as in the SDK.
    """

    #: RECORD messages written in this run (one per record, whatever stream maps make of it).
    records_written = 0

    #: When the records now being written were read from the API (a page's records share
    #: it); None stamps each record as it is written.
    time_extracted: datetime.datetime | None = None

    @cached_property
    def _some_property_deselected(self) -> bool:
        return not all(self.mask.values())

    @cached_property
    def _record_writer(self) -> BufferedMsgSpecWriter | None:
        writer = self._tap.message_writer
        return writer if isinstance(writer, BufferedMsgSpecWriter) else None

    @override
    def _write_record_message(self, record: Record) -> None:
        self.records_written += 1
        writer = self._record_writer
        if writer is None:  # a tap built with another message writer
            super()._write_record_message(record)
            return
        if self._some_property_deselected:
            pop_deselected_record_properties(record, self.schema, self.mask)
        time_extracted = self.time_extracted or utc_now()
        for stream_map in self.stream_maps:
            mapped_record = stream_map.transform(record)
            if mapped_record is not None:
                writer.write_record(
                    stream_map.stream_alias, mapped_record, self._stream_version, time_extracted
                )
        self.state_manager.is_flushed = False
