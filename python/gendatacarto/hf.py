"""A Hugging Face ``TrainerCallback`` that sends per-example dynamics to GenDataCarto.

The Trainer hands callbacks no per-example losses, so after each epoch this callback runs one
evaluation pass (no gradients, in dataset order) over the training examples and logs each
example's loss and accuracy; the run is created with ``eval_pass=True`` to record that.

    import gendatacarto as gdc
    from gendatacarto.hf import GdcCallback
    run = gdc.Client(api, token).create_run(version_id, epochs=3, framework="transformers", eval_pass=True)
    trainer = Trainer(model, args, train_dataset=train, data_collator=collate,
                      callbacks=[GdcCallback(run, train, keys=train["id"], collate_fn=collate)])
    trainer.train()                      # the callback finishes the run at the end
    df = run.scores()

Loss and accuracy per example: for logits [batch, classes] and labels [batch], the cross-entropy
and 0/1 correctness; for a causal LM (logits [batch, tokens, vocab], labels [batch, tokens], -100
ignored) the mean token cross-entropy and token accuracy of the next-token targets. Give
``evaluate=`` (model -> (losses, accuracies) in dataset order) for anything else.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Tuple

try:  # the real base class when transformers is installed; the protocol is duck-typed anyway
    from transformers import TrainerCallback as _Base
except ImportError:  # pragma: no cover - depends on the environment
    _Base = object

from . import Run


class GdcCallback(_Base):  # type: ignore[misc, valid-type]
    """Logs every training example's loss and accuracy at the end of each epoch; finishes the run at train end.

    run: a Run from Client.create_run(..., epochs=args.num_train_epochs, eval_pass=True).
    dataset, keys: the training examples (in the order ``evaluate`` returns them) and their keys.
    collate_fn, batch_size: how to batch them for the evaluation pass (defaults: the Trainer's
    collator is not reachable from a callback, so give yours).
    finish: call run.finish(wait=False) in on_train_end (scoring then runs on the server).
    """

    def __init__(self, run: Run, dataset: Any = None, keys: Optional[Sequence[Any]] = None, *,
                 collate_fn: Optional[Callable] = None, batch_size: int = 64,
                 evaluate: Optional[Callable[[Any], Tuple[Any, Any]]] = None, finish: bool = True):
        self.run, self.dataset, self.keys = run, dataset, list(keys) if keys is not None else None
        self.collate_fn, self.batch_size, self.finish = collate_fn, batch_size, finish
        self.evaluate = evaluate or self._evaluate_torch
        if self.keys is None:
            raise ValueError("GdcCallback needs the training examples' keys, in dataset order")

    def on_epoch_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> Any:
        # state.epoch is a float: 1.0 once the first epoch is done (about 0.999 with accumulation).
        epoch = int(round(state.epoch)) - 1
        losses, accuracies = self.evaluate(model)
        self.run.log(epoch, self.keys, losses, accuracies)
        self.run.flush()
        return control

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if self.finish:
            self.run.finish(wait=False)
        return control

    def _evaluate_torch(self, model: Any) -> Tuple[Any, Any]:
        import torch
        from torch.utils.data import DataLoader

        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        losses, accuracies = [], []
        with torch.no_grad():
            for batch in DataLoader(self.dataset, batch_size=self.batch_size, shuffle=False, collate_fn=self.collate_fn):
                batch = {k: v.to(device) if hasattr(v, "to") else v for k, v in batch.items()}
                labels = batch["labels"]
                logits = model(**batch).logits
                loss, acc = per_example_loss(logits, labels)
                losses.append(loss.cpu())
                accuracies.append(acc.cpu())
        model.train(was_training)
        return torch.cat(losses), torch.cat(accuracies)


def per_example_loss(logits: Any, labels: Any, ignore_index: int = -100) -> Tuple[Any, Any]:
    """Per-example cross-entropy (nats) and accuracy from torch logits and labels (classifier or causal LM)."""
    import torch.nn.functional as F

    if logits.dim() == 2:  # classifier
        return F.cross_entropy(logits.float(), labels, reduction="none"), (logits.argmax(-1) == labels).float()
    logits, labels = logits[:, :-1].float(), labels[:, 1:]  # token t predicts token t + 1
    mask = (labels != ignore_index).float()
    tokens = F.cross_entropy(logits.transpose(1, 2), labels.clamp(min=0), reduction="none")
    count = mask.sum(1).clamp(min=1)
    correct = (logits.argmax(-1) == labels).float() * mask
    return (tokens * mask).sum(1) / count, correct.sum(1) / count
