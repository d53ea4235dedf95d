"""The Hugging Face callback, driven through the Trainer's callback protocol (state.epoch, args,
control, model=...) by a stand-in when transformers is not installed; and the torch helpers."""
import types
import unittest

import numpy as np

from . import support
from .support import gdc
from gendatacarto.hf import GdcCallback, per_example_loss

try:
    import torch
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False


class StandInTrainer:
    """What transformers.Trainer does with callbacks, minus the training: on_epoch_end after each
    epoch with state.epoch = the epochs done so far (a float), on_train_end at the end."""

    def __init__(self, callbacks, epochs, model):
        self.callbacks, self.epochs, self.model = callbacks, epochs, model
        self.args = types.SimpleNamespace(num_train_epochs=epochs, output_dir="/tmp/unused")
        self.state = types.SimpleNamespace(epoch=0.0, global_step=0)
        self.control = types.SimpleNamespace(should_training_stop=False)

    def train(self):
        for epoch in range(self.epochs):
            self.model.step()
            # with gradient accumulation the Trainer reports e.g. 1.9999999 instead of 2.0
            self.state.epoch = epoch + 1 - (1e-7 if epoch % 2 else 0)
            for cb in self.callbacks:
                self.control = cb.on_epoch_end(self.args, self.state, self.control, model=self.model)
        for cb in self.callbacks:
            cb.on_train_end(self.args, self.state, self.control, model=self.model)


class FittingModel:
    """Per-example losses that fall each epoch; examples 0, 10, 20, … start hard and are fitted late."""

    def __init__(self, n):
        self.n, self.epoch = n, -1

    def step(self):
        self.epoch += 1

    def losses(self):
        i = np.arange(self.n)
        hard = i % 10 == 0
        loss = np.where(hard, 4.0 if self.epoch < 2 else 0.2, 0.6 * 0.9 ** self.epoch) + 0.001 * i
        return loss.astype(np.float32), (loss < 1.0)


class CallbackProtocol(unittest.TestCase):
    def setUp(self):
        support.require_api(self)

    def test_the_callback_logs_each_epoch_and_finishes_the_run(self):
        n, epochs = 50, 4
        client = support.client()
        run = client.create_run(support.make_version(client, n), epochs=epochs, framework="transformers", eval_pass=True)
        model = FittingModel(n)
        keys = np.arange(n)  # e.g. train["id"] of a datasets.Dataset
        callback = GdcCallback(run, dataset=None, keys=keys, evaluate=lambda m: m.losses())
        StandInTrainer([callback], epochs, model).train()
        self.assertEqual(run.status, "SCORING")  # finish(wait=False) at train end
        self.assertEqual(run.wait(), "SUCCEEDED")
        rows = {r["key"]: r for r in run.scores(key_type=int, as_dataframe=False)}
        self.assertEqual(sorted(rows), list(range(n)))
        top = sorted(rows, key=lambda k: -rows[k]["memorization"])[: n // 10]
        self.assertEqual(sorted(top), list(range(0, n, 10)))
        self.assertAlmostEqual(rows[3]["difficulty"], float(np.float32(0.6 + 0.003)), places=5)
        dyn = client.graphql("query ($id: ID!) { run(id: $id) { dynamicsSource backend } }", {"id": run.id})["run"]
        self.assertEqual(dyn, {"dynamicsSource": "EVAL_PASS", "backend": "transformers"})

    def test_keys_are_required(self):
        with self.assertRaisesRegex(ValueError, "keys"):
            GdcCallback(run=None)


@unittest.skipUnless(HAVE_TORCH, "torch is not installed (apt-get install python3-torch)")
class TorchHelpers(unittest.TestCase):
    def test_per_example_loss_classifier_and_causal_lm(self):
        import torch.nn.functional as F
        logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
        labels = torch.tensor([0, 0, 0])
        loss, acc = per_example_loss(logits, labels)
        self.assertTrue(torch.allclose(loss, F.cross_entropy(logits, labels, reduction="none")))
        self.assertEqual(acc.tolist(), [1.0, 0.0, 1.0])

        torch.manual_seed(0)
        lm_logits = torch.randn(2, 4, 5)
        tokens = torch.tensor([[1, 2, 3, 4], [0, 1, -100, -100]])  # the second is padded
        loss, acc = per_example_loss(lm_logits, tokens)
        first = F.cross_entropy(lm_logits[0, :3], tokens[0, 1:])
        second = F.cross_entropy(lm_logits[1, :1], tokens[1, 1:2])
        self.assertTrue(torch.allclose(loss, torch.stack([first, second])))
        self.assertEqual(acc.shape, (2,))

    def test_torch_tensors_as_keys_and_values(self):
        self.assertEqual(gdc.to_key(torch.tensor(17)), "17")
        self.assertEqual(gdc.to_floats(torch.tensor([0.5, 1.5], dtype=torch.float16, requires_grad=False)), [0.5, 1.5])
        self.assertEqual(gdc.to_floats(torch.tensor([True, False])), [1.0, 0.0])
        x = torch.tensor([1.0, 2.0], requires_grad=True) * 2
        self.assertEqual(gdc.to_floats(x), [2.0, 4.0])


if __name__ == "__main__":
    unittest.main()
