"""One request per task: GET /ping (exact request counts in tests)."""

from locust import FastHttpUser, constant, task


class Ping(FastHttpUser):
    wait_time = constant(0.01)

    @task
    def ping(self) -> None:
        self.client.get("/ping")
