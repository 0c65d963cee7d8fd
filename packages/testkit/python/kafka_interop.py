"""kafka-python next to kraul, the way a team seeding kraul from Python writes it.

  seed  --brokers B --topic T --job J URL...     one crawl.seeded record per URL, key = host
  read  --brokers B --topic T [--topic T2 ...] --group G --min-records N --timeout S
        reads the topics in a consumer group from the start; prints one JSON line per
        record with the partition kafka-python's own (Java-compatible) partitioner gives
        its key, so the caller can check kraul placed every key where Python would.

Nothing here knows kraul's code: it uses only the documented JSON messages.
"""

import argparse
import json
import sys
import time
from urllib.parse import urlsplit

from kafka import KafkaConsumer, KafkaProducer
from kafka.partitioner.default import murmur2


def java_partition(key: bytes, partitions: int) -> int:
    # kafka-python's DefaultPartitioner: murmur2 of the key bytes, made positive, modulo.
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def seed(args) -> None:
    producer = KafkaProducer(
        bootstrap_servers=args.brokers.split(","),
        acks="all",
        key_serializer=lambda key: key.encode("utf-8"),
        value_serializer=lambda value: json.dumps(value).encode("utf-8"),
    )
    for url in args.urls:
        host = urlsplit(url).hostname
        message = {"v": 1, "type": "crawl.seeded", "job": args.job, "urls": [{"url": url}], "source": "python"}
        metadata = producer.send(args.topic, key=host, value=message).get(timeout=30)
        print(json.dumps({"url": url, "key": host, "partition": metadata.partition}))
    producer.flush()
    producer.close()


def read(args) -> None:
    consumer = KafkaConsumer(
        *args.topic,
        bootstrap_servers=args.brokers.split(","),
        group_id=args.group,
        auto_offset_reset="earliest",
        enable_auto_commit=True,
        consumer_timeout_ms=1000,
    )
    seen = 0
    deadline = time.monotonic() + args.timeout
    partition_counts = {}
    while time.monotonic() < deadline:
        for record in consumer:
            if record.topic not in partition_counts:
                partition_counts[record.topic] = len(consumer.partitions_for_topic(record.topic))
            try:
                value = json.loads(record.value.decode("utf-8"))
            except ValueError:
                value = None
            key = record.key.decode("utf-8") if record.key is not None else None
            expected = (
                java_partition(record.key, partition_counts[record.topic]) if record.key is not None else None
            )
            print(
                json.dumps(
                    {
                        "topic": record.topic,
                        "partition": record.partition,
                        "offset": record.offset,
                        "key": key,
                        "pythonPartition": expected,
                        "value": value,
                    }
                ),
                flush=True,
            )
            seen += 1
        if seen >= args.min_records:
            break
    consumer.commit()
    consumer.close()
    if seen < args.min_records:
        print(f"read {seen} records, wanted at least {args.min_records}", file=sys.stderr)
        sys.exit(3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    seed_parser = commands.add_parser("seed")
    seed_parser.add_argument("--brokers", required=True)
    seed_parser.add_argument("--topic", required=True)
    seed_parser.add_argument("--job", required=True)
    seed_parser.add_argument("urls", nargs="+")
    read_parser = commands.add_parser("read")
    read_parser.add_argument("--brokers", required=True)
    read_parser.add_argument("--topic", action="append", required=True)
    read_parser.add_argument("--group", required=True)
    read_parser.add_argument("--min-records", type=int, default=1)
    read_parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    seed(args) if args.command == "seed" else read(args)


if __name__ == "__main__":
    main()
