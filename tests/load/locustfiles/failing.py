"""Every request fails: GET /fail answers 500."""

from locust import FastHttpUser, constant, task


class Failing(FastHttpUser):
    wait_time = constant(0.05)

    @task
    def fail(self) -> None:
        self.client.get("/fail")
