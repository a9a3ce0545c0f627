"""The Sequences part's training helpers: time series, char-LSTM, sentiment, and the zoo entries."""

from __future__ import annotations

import math

import pytest
import torch

from learntorch import zoo
from learntorch.language_model import bits_per_char, ngram_bits, split_text
from learntorch.models import CharLSTM
from learntorch.sentiment import BagOfWords, build_vocabulary, encode_reviews, length_batches
from learntorch.series import SUNSPOTS_RECIPE, predict_next, series_windows, sunspots, train_series_rnn

# --- Time series ----------------------------------------------------------------------------


def test_series_windows_targets_are_the_next_values():
    x, y = series_windows(torch.arange(10.0), steps=4)
    assert x.shape == y.shape == (6, 4, 1)
    assert torch.equal(y[:, :-1], x[:, 1:]) and torch.equal(y[:, -1, 0], torch.arange(4.0, 10.0))
    with pytest.raises(ValueError, match="steps must be an integer from 1 to 9"):
        series_windows(torch.arange(10.0), steps=10)
    with pytest.raises(ValueError, match="1-D series"):
        series_windows(torch.zeros(3, 3), steps=1)


def test_the_baseline_is_the_last_value_and_the_rnn_is_scored_on_held_out_years():
    _, record = train_series_rnn({**SUNSPOTS_RECIPE, "iterations": 3})
    years, counts = sunspots()
    split = int((years < SUNSPOTS_RECIPE["test_from"]).sum())
    assert record["test_years"] == years[split:].tolist()
    assert record["baseline_mae"] == pytest.approx((counts[split - 1:-1] - counts[split:]).abs().mean().item())
    assert len(record["predictions"]) == len(counts) - split and len(record["losses"]) == 3


def test_predict_next_reads_only_the_window_before():
    class LastInput(torch.nn.Module):  # predicts its last input: a model we can reason about
        def forward(self, x):
            return x, None
    series = torch.arange(20.0)
    assert predict_next(LastInput(), series, steps=3, first=5, stop=8).tolist() == [4.0, 5.0, 6.0]
    with pytest.raises(ValueError, match="steps <= first"):
        predict_next(LastInput(), series, steps=6, first=5)


# --- Character language model ---------------------------------------------------------------


def test_ngram_baselines_on_a_text_we_can_compute_by_hand():
    ids = torch.tensor([0, 1, 2, 3] * 100)                 # four characters, each after one other
    assert ngram_bits(ids, ids, 4, order=1) == pytest.approx(2.0)       # uniform over 4: 2 bits
    assert ngram_bits(ids, ids, 4, order=2) < 0.05                      # the next one is (nearly) certain
    with pytest.raises(ValueError, match="order must be 1"):
        ngram_bits(ids, ids, 4, order=3)


def test_bits_per_char_of_a_uniform_model_is_log2_of_the_vocabulary():
    model = CharLSTM(8, 4, 4)
    with torch.no_grad():
        model.fc.weight.zero_()
        model.fc.bias.zero_()                              # every logit 0: uniform
    assert bits_per_char(model, torch.randint(0, 8, (400,)), 4, 10) == pytest.approx(math.log2(8), abs=1e-5)


def test_split_text_keeps_order_and_refuses_bad_fractions():
    train, val = split_text(torch.arange(100), 0.1)
    assert len(train) == 90 and torch.equal(torch.cat([train, val]), torch.arange(100))
    with pytest.raises(ValueError, match="val_fraction"):
        split_text(torch.arange(10), 1.0)


# --- Sentiment ------------------------------------------------------------------------------


def test_encode_reviews_maps_unknown_words_and_refuses_empty_reviews():
    vocab = build_vocabulary(["a good film", "a bad film"], size=10)
    ids, lengths = encode_reviews(["A good, GOOD film", "terrible"], vocab, length=3)
    assert vocab.decode(ids[0]) == ["a", "good", "good"] and lengths.tolist() == [3, 1]
    assert ids[1, 0] == vocab.ids["<unk>"]
    with pytest.raises(ValueError, match="sequence 1 has no tokens"):
        encode_reviews(["good", "..."], vocab, length=3)


def test_length_batches_cover_every_review_once_with_similar_lengths():
    lengths = torch.randint(1, 300, (1000,), generator=torch.Generator().manual_seed(0))
    batches = length_batches(lengths, 64, torch.Generator().manual_seed(1))
    assert sorted(torch.cat(batches).tolist()) == list(range(1000))
    padding = sum((lengths[b].max() - lengths[b]).sum().item() for b in batches)
    random_padding = sum((lengths[b].max() - lengths[b]).sum().item() for b in torch.arange(1000).split(64))
    assert padding < random_padding / 10


def test_bag_of_words_counts_each_word_once_and_ignores_padding_and_unknown():
    model = BagOfWords(6)
    with torch.no_grad():
        model.weights.weight.copy_(torch.arange(6.0).unsqueeze(1))
    logits = model(torch.tensor([[2, 3, 0, 0], [2, 2, 3, 0], [1, 2, 3, 0], [1, 0, 0, 0]]))
    assert logits.tolist() == [5.0, 5.0, 5.0, 0.0]


# --- Shared models --------------------------------------------------------------------------


def test_the_text_models_are_shared_and_refuse_unknown_settings():
    assert {"char-lstm", "sentiment-lstm", "sentiment-attention"} <= set(zoo.SHARED)
    with pytest.raises(ValueError, match=r"unknown recipe settings \['hiden'\]"):
        zoo.char_lstm(hiden=8)
    with pytest.raises(ValueError, match=r"unknown recipe settings \['epoch'\]"):
        zoo.sentiment_rnn("last", epoch=1)
