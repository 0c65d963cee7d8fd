# One Scrapy crawl of the bench's site, as Scrapy's tutorial writes a spider: a LinkExtractor
# within the site's origins, robots.txt obeyed, Scrapy's scheduler and duplicate filter.
# Started by the bench with the crawl plan (JSON) as its argument; prints one JSON line with
# the crawl's result (the fields of bench/crawl/crawl-protocol.ts, CrawlResult) and exits.
import json
import resource
import sys
import time
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import IgnoreRequest
from scrapy.linkextractors import LinkExtractor

plan = json.loads(sys.argv[1])
origins = set(plan["origins"])
state = {"documents": 0, "last": 0.0, "times": [], "failures": []}


def origin_of(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class BenchSpider(Spider):
    name = "kraul-bench"
    # Like the raw loop and kraul: <a> and <area>, <base href> honoured, rel=nofollow skipped.
    links = LinkExtractor(tags=("a", "area"), attrs=("href",), deny_extensions=[])

    async def start(self):
        # Filtered like every other request: start_urls would refetch the seed when a page links back to it.
        yield Request(plan["seed"], callback=self.parse, errback=self.failed)

    def parse(self, response):
        state["documents"] += 1
        state["last"] = time.perf_counter()
        state["times"].append(state["last"])
        for link in self.links.extract_links(response):
            if not link.nofollow and origin_of(link.url) in origins:
                yield Request(link.url, callback=self.parse, errback=self.failed)

    def failed(self, failure):
        # A request robots.txt forbids is dropped before it is sent: that is obeying, not failing.
        if failure.check(IgnoreRequest):
            return
        state["failures"].append(f"{failure.request.url}: {failure.value!r}")


def usage():
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


process = CrawlerProcess(
    settings={
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": plan["concurrency"],
        "CONCURRENT_REQUESTS_PER_DOMAIN": plan["concurrencyPerHost"],
        "DOWNLOAD_DELAY": 0,
        "RETRY_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "CLOSESPIDER_TIMEOUT": plan["timeoutMs"] / 1000,
    }
)
ended = {}


def on_closed(spider, reason):
    ended["at"] = time.perf_counter()
    ended["reason"] = reason


crawler = process.create_crawler(BenchSpider)
crawler.signals.connect(on_closed, signal=signals.spider_closed)
cpu_before = usage()
started = time.perf_counter()
process.crawl(crawler)
process.start()
cpu = usage() - cpu_before

if ended.get("reason") != "finished":
    sys.exit(f"scrapy crawl ended {ended.get('reason', 'without closing')} ({state['documents']} documents)")
if state["failures"]:
    sys.exit(f"scrapy crawl: {len(state['failures'])} requests failed: {state['failures'][0]}")
print(
    json.dumps(
        {
            "engine": "scrapy",
            "documents": state["documents"],
            "wallMs": (ended["at"] - started) * 1000,
            "lastDocumentMs": (state["last"] - started) * 1000,
            "progress": [[(at - started) * 1000, n + 1] for n, at in enumerate(state["times"])],
            "cpuMicros": round(cpu * 1_000_000),
            "maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        }
    )
)
