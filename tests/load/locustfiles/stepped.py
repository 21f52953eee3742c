"""A Locust LoadTestShape: 1 user for three seconds, then 3 users, then stop.

The first step is long so that the first second of the timeline shows 1 user even when a busy
machine delays the once-a-second report that stamps it (one second was not enough in CI)."""

from locust import FastHttpUser, LoadTestShape, constant, task


class Ping(FastHttpUser):
    wait_time = constant(0.05)

    @task
    def ping(self) -> None:
        self.client.get("/ping")


class TwoSteps(LoadTestShape):
    def tick(self):  # type: ignore[no-untyped-def]
        t = self.get_run_time()
        if t < 3.0:
            return 1, 10
        if t < 4.5:
            return 3, 10
        return None
