"""Prometheus metrics, one registry per bot (tests run several bots in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "aiguillage_commands_total",
            "Application commands handled",
            ["command"],
            registry=self.registry,
        )
        self.command_errors = Counter(
            "aiguillage_command_errors_total",
            "Commands refused or failed",
            ["kind"],
            registry=self.registry,
        )
        self.command_latency = Histogram(
            "aiguillage_command_latency_seconds",
            "Time from interaction to completion",
            ["command"],
            registry=self.registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.deliveries = Counter(
            "aiguillage_deliveries_total",
            "Scheduled deliveries by outcome",
            ["outcome", "kind"],
            registry=self.registry,
        )
        self.gateway_connected = Gauge(
            "aiguillage_gateway_connected",
            "1 when the gateway is connected",
            registry=self.registry,
        )
        self.guilds = Gauge("aiguillage_guilds", "Guilds served", registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)
