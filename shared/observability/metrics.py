"""Prometheus metrics of one service, named `xiaoan_<service>_<noun>_<unit>`.

Each app gets its own registry (tests build many apps in one process); `/metrics` serves it
together with the process collectors.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServiceMetrics:
    """Create and hold the metrics of one service."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self._counters: dict[str, Counter] = {}
        self._histograms: dict[str, Histogram] = {}
        self._gauges: dict[str, Gauge] = {}

    def name(self, noun_unit: str) -> str:
        """Return the full metric name for `noun_unit` (e.g. 'reports_accepted_total')."""
        return f"xiaoan_{self.service}_{noun_unit}"

    def counter(self, noun_unit: str, doc: str, labels: Sequence[str] = ()) -> Counter:
        """Return the counter `noun_unit`, creating it once."""
        if noun_unit not in self._counters:
            self._counters[noun_unit] = Counter(
                self.name(noun_unit).removesuffix("_total"), doc, labels, registry=self.registry
            )
        return self._counters[noun_unit]

    def histogram(self, noun_unit: str, doc: str, labels: Sequence[str] = ()) -> Histogram:
        """Return the histogram `noun_unit`, creating it once."""
        if noun_unit not in self._histograms:
            self._histograms[noun_unit] = Histogram(
                self.name(noun_unit), doc, labels, registry=self.registry, buckets=LATENCY_BUCKETS
            )
        return self._histograms[noun_unit]

    def gauge(self, noun_unit: str, doc: str, labels: Sequence[str] = ()) -> Gauge:
        """Return the gauge `noun_unit`, creating it once."""
        if noun_unit not in self._gauges:
            self._gauges[noun_unit] = Gauge(
                self.name(noun_unit), doc, labels, registry=self.registry
            )
        return self._gauges[noun_unit]

    def render(self) -> bytes:
        """Return the Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
