"""A Locust LoadTestShape: 1 user for a second, then 3 users, then stop."""

from locust import FastHttpUser, LoadTestShape, constant, task


class Ping(FastHttpUser):
    wait_time = constant(0.05)

    @task
    def ping(self) -> None:
        self.client.get("/ping")


class TwoSteps(LoadTestShape):
    def tick(self):  # type: ignore[no-untyped-def]
        t = self.get_run_time()
        if t < 1.0:
            return 1, 10
        if t < 2.5:
            return 3, 10
        return None
