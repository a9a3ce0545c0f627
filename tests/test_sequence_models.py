"""The Sequences part's models and text sampler: shapes, state, padding, bad input, checkpoints."""

from __future__ import annotations

import pytest
import torch

from learntorch import checkpoints
from learntorch.data import Vocabulary
from learntorch.generate import generate, next_token_probs
from learntorch.models import CharLSTM, SentimentRNN


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)


# --- CharLSTM -------------------------------------------------------------------------------


def test_char_lstm_state_carries_the_text_across_calls():
    model = CharLSTM(20, embed=8, hidden=16, layers=2).eval()
    x = torch.randint(0, 20, (3, 12))
    whole, _ = model(x)
    first, state = model(x[:, :5])
    rest, _ = model(x[:, 5:], state)
    assert torch.allclose(torch.cat([first, rest], dim=1), whole, atol=1e-6)


def test_char_lstm_bad_input():
    model = CharLSTM(10, 4, 8)
    with pytest.raises(ValueError, match=r"outside 0\.\.9 \(its vocabulary size\)"):
        model(torch.tensor([[3, 10]]))
    with pytest.raises(ValueError, match="dtype torch.long"):
        model(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="hidden must be a positive integer"):
        CharLSTM(10, 4, 0)
    with pytest.raises(ValueError, match="dropout must be in"):
        CharLSTM(10, dropout=1.0)


# --- SentimentRNN ---------------------------------------------------------------------------


@pytest.mark.parametrize("pooling", ["last", "mean", "attention"])
def test_padding_does_not_change_a_review_score(pooling):
    model = SentimentRNN(30, embed=8, hidden=12, pooling=pooling).eval()
    review = torch.tensor([[4, 9, 2, 7]])
    padded = torch.tensor([[4, 9, 2, 7, 0, 0, 0]])
    with torch.no_grad():
        assert torch.allclose(model(review), model(padded), atol=1e-6)


def test_last_pooling_reads_the_last_real_token():
    model = SentimentRNN(30, 8, 12, pooling="last").eval()
    with torch.no_grad():
        out, _ = model.lstm(model.embedding(torch.tensor([[4, 9, 2]])))
        expected = model.fc(out[:, -1]).squeeze(1)
        assert torch.allclose(model(torch.tensor([[4, 9, 2, 0, 0]])), expected, atol=1e-6)


def test_mean_pooling_averages_the_real_tokens_outputs():
    model = SentimentRNN(30, 8, 12, pooling="mean").eval()
    with torch.no_grad():
        out, _ = model.lstm(model.embedding(torch.tensor([[4, 9, 2]])))
        expected = model.fc(out.mean(dim=1)).squeeze(1)
        assert torch.allclose(model(torch.tensor([[4, 9, 2, 0]])), expected, atol=1e-6)


def test_attention_weights_are_a_distribution_over_real_tokens():
    model = SentimentRNN(30, 8, 12, pooling="attention")
    ids = torch.tensor([[4, 9, 2, 7, 0], [5, 0, 0, 0, 0]])
    w = model.attention_weights(ids)
    assert torch.allclose(w.sum(dim=1), torch.ones(2))
    assert (w[ids == 0] == 0).all() and w[1, 0].item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="pooling='attention'"):
        SentimentRNN(30, 8, 12).attention_weights(ids)


def test_sentiment_bad_input():
    model = SentimentRNN(30, 8, 12)
    with pytest.raises(ValueError, match="review 1 has zero tokens"):
        model(torch.tensor([[3, 4], [0, 0]]))
    with pytest.raises(ValueError, match="outside 0..29"):
        model(torch.tensor([[3, 40]]))
    with pytest.raises(ValueError, match="pooling must be one of"):
        SentimentRNN(30, pooling="max")


@pytest.mark.parametrize("model", [CharLSTM(12, 4, 8, layers=2, dropout=0.1),
                                   SentimentRNN(30, 8, 12, pooling="attention", dropout=0.2)],
                         ids=["CharLSTM", "SentimentRNN"])
def test_sequence_models_round_trip_through_checkpoints(model, tmp_path):
    path = checkpoints.save(model, tmp_path / "m.pt", vocab=["a", "b"])
    loaded = checkpoints.load(path)
    assert type(loaded) is type(model) and loaded.config == model.config
    for (name, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), name
    assert checkpoints.read(path)["metadata"]["vocab"] == ["a", "b"]


# --- Sampling -------------------------------------------------------------------------------


def test_temperature_and_top_k():
    logits = torch.tensor([3.0, 1.0, 0.5, -2.0])
    cold, warm = next_token_probs(logits, 0.1), next_token_probs(logits, 10.0)
    assert cold[0] > 0.99 and warm.max() - warm.min() < 0.2   # near greedy / near uniform
    top2 = next_token_probs(logits, top_k=2)
    assert (top2[2:] == 0).all() and torch.isclose(top2.sum(), torch.tensor(1.0))
    assert torch.equal(next_token_probs(logits, top_k=4), next_token_probs(logits))
    with pytest.raises(ValueError, match="temperature must be positive"):
        next_token_probs(logits, 0)
    with pytest.raises(ValueError, match="top_k must be an integer from 1 to 4"):
        next_token_probs(logits, top_k=5)


def test_generate_is_seeded_and_top_1_is_greedy():
    vocab = Vocabulary(list("abc d"))
    model = CharLSTM(len(vocab), 4, 8)
    one = generate(model, vocab, "ab", 30, seed=3)
    assert one == generate(model, vocab, "ab", 30, seed=3) and len(one) == 32
    greedy = generate(model, vocab, "ab", 10, top_k=1, seed=1)
    assert greedy == generate(model, vocab, "ab", 10, top_k=1, seed=2)  # no randomness left
    assert generate(model, vocab, "ab", 0) == "ab"


def test_generate_bad_input():
    vocab = Vocabulary(list("abc"))
    model = CharLSTM(3, 4, 8)
    with pytest.raises(ValueError, match="'z' is not in the vocabulary of 3 tokens"):
        generate(model, vocab, "abz", 5)
    with pytest.raises(ValueError, match="at least one character"):
        generate(model, vocab, "", 5)
    with pytest.raises(ValueError, match="length must be a non-negative integer"):
        generate(model, vocab, "a", -1)
