"""Reads WARC files with warcio (the reference Python reader) and prints one JSON line per
record: its type, target URI, HTTP status, the payload digest it declares, the digest
computed here (sha1, base32) over the payload as stored, and its links (metadata records).
Exits non-zero when a file does not read as WARC."""

import base64
import hashlib
import json
import sys

from warcio.archiveiterator import ArchiveIterator


def main(paths):
    for path in paths:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                headers = record.rec_headers
                raw = record.raw_stream.read()
                line = {
                    "file": path,
                    "warcVersion": headers.protocol,
                    "type": record.rec_type,
                    "uri": headers.get_header("WARC-Target-URI"),
                    "id": headers.get_header("WARC-Record-ID"),
                    "concurrentTo": headers.get_header("WARC-Concurrent-To"),
                    "profile": headers.get_header("WARC-Profile"),
                    "truncated": headers.get_header("WARC-Truncated"),
                    "payloadDigest": headers.get_header("WARC-Payload-Digest"),
                    "computedDigest": "sha1:" + base64.b32encode(hashlib.sha1(raw).digest()).decode(),
                    "payloadLength": len(raw),
                }
                if record.http_headers is not None and record.rec_type in ("response", "revisit"):
                    line["status"] = record.http_headers.get_statuscode()
                    line["headers"] = record.http_headers.headers
                if record.http_headers is not None and record.rec_type == "request":
                    line["requestLine"] = record.http_headers.protocol + " " + record.http_headers.statusline
                if record.rec_type == "metadata":
                    line["fields"] = raw.decode("utf-8").splitlines()
                print(json.dumps(line))


if __name__ == "__main__":
    main(sys.argv[1:])
