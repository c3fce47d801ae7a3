"""Custom predictors for the real runtime (lambdaserve.runtime.handler) inside a worker."""


class Doubler:
    def load(self, model_dir):
        self.factor = 2

    def predict(self, inputs):
        return {"prediction": [[v * self.factor for v in row] for row in inputs["input"]]}


class FailsInLoad:
    def load(self, model_dir):
        raise RuntimeError("weights file is corrupt")

    def predict(self, inputs):
        return {}


class FailsInPredict:
    def load(self, model_dir):
        pass

    def predict(self, inputs):
        raise ZeroDivisionError("division by zero in predict")


class DriftedDoubler:
    """A retrained model that loads and answers, but not as the recorded one did."""

    def load(self, model_dir):
        self.factor = 2.01

    def predict(self, inputs):
        return {"prediction": [[v * self.factor for v in row] for row in inputs["input"]]}
