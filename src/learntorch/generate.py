"""Text generation: sample a character-level language model one character at a time.

A language model gives scores (logits) for the next character. Generating text repeats
three steps: turn the scores into probabilities (softmax, sharpened or flattened by a
*temperature*, optionally restricted to the *top k* characters), draw one character, feed
it back in. The model's state carries the text so far, so each step reads one character.
"""

from __future__ import annotations

import torch
from torch import nn

from learntorch.data.text import Vocabulary


def next_token_probs(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None) -> torch.Tensor:
    """Probabilities of the next token from its ``logits`` (last dimension), after temperature and top-k.

    Dividing the logits by a temperature below 1 sharpens the distribution toward the
    likeliest token; above 1 it flattens toward uniform. ``top_k`` keeps only the ``k``
    likeliest tokens (the others get probability 0) and renormalises.

    Examples:
        >>> logits = torch.tensor([2.0, 1.0, 0.0])
        >>> next_token_probs(logits).round(decimals=3)
        tensor([0.6650, 0.2450, 0.0900])
        >>> next_token_probs(logits, temperature=0.5).round(decimals=3)   # sharper
        tensor([0.8670, 0.1170, 0.0160])
        >>> next_token_probs(logits, top_k=2).round(decimals=3)           # only the best two
        tensor([0.7310, 0.2690, 0.0000])
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature} (use a small value such "
                         "as 0.1 for nearly greedy sampling)")
    vocab_size = logits.shape[-1]
    if top_k is not None and not (isinstance(top_k, int) and 1 <= top_k <= vocab_size):
        raise ValueError(f"top_k must be an integer from 1 to {vocab_size} (the vocabulary size), got {top_k!r}")
    logits = logits / temperature
    if top_k is not None and top_k < vocab_size:
        kth = logits.topk(top_k, dim=-1).values[..., -1:]          # the k-th largest score
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return logits.softmax(dim=-1)


@torch.no_grad()
def generate(model: nn.Module, vocab: Vocabulary, prime: str, length: int, temperature: float = 1.0,
             top_k: int | None = None, seed: int | None = 0) -> str:
    """``prime`` followed by ``length`` characters sampled from a character-level ``model``.

    The model is called as ``model(ids, state) -> (logits, state)`` (like
    :class:`learntorch.models.CharLSTM`). It first reads the whole prime, which builds up
    its state, then samples one character at a time, feeding each back in.

    Args:
        model: the language model; it is put in evaluation mode.
        vocab: the vocabulary the model was trained with.
        prime: the text to start from; at least one character, all in ``vocab``.
        length: how many characters to add.
        temperature: below 1 more predictable text, above 1 more surprising.
        top_k: sample only among the ``top_k`` likeliest characters (None: all).
        seed: seeds the sampling, so the same call gives the same text (None: unseeded).

    Examples:
        >>> from learntorch.models import CharLSTM
        >>> vocab = Vocabulary(list("ab "))
        >>> _ = torch.manual_seed(0)
        >>> text = generate(CharLSTM(len(vocab), 4, 8), vocab, prime="ab", length=5)
        >>> len(text), text[:2], set(text) <= set("ab ")
        (7, 'ab', True)
    """
    if not prime:
        raise ValueError("prime must hold at least one character: the model needs something to continue")
    if not isinstance(length, int) or length < 0:
        raise ValueError(f"length must be a non-negative integer, got {length!r}")
    ids = vocab.encode(prime)  # raises ValueError naming a character the model never saw
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    device = next(model.parameters()).device
    model.eval()
    logits, state = model(torch.tensor([ids], device=device), None)  # read the prime: (1, len(prime), V)
    out = list(ids)
    for _ in range(length):
        probs = next_token_probs(logits[0, -1].float().cpu(), temperature, top_k)
        out.append(int(torch.multinomial(probs, 1, generator=generator)))
        logits, state = model(torch.tensor([[out[-1]]], device=device), state)
    return "".join(vocab.decode(out))
