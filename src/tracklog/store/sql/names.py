"""Generated names: "adjective-animal-NNN" for runs, the same shape for logged models."""

from __future__ import annotations

import secrets

ADJECTIVES = (
    "agile", "amber", "bold", "brave", "bright", "calm", "clever", "cosmic", "crisp", "curious",
    "daring", "dazzling", "eager", "electric", "fearless", "fluffy", "gentle", "gleaming", "golden",
    "graceful", "happy", "hidden", "honest", "humble", "icy", "jolly", "keen", "kind", "lively",
    "lucky", "luminous", "merry", "mighty", "misty", "nimble", "noble", "patient", "placid", "polite",
    "quick", "quiet", "radiant", "rapid", "rustic", "serene", "shiny", "silent", "silver", "sleek",
    "smooth", "snowy", "sparkling", "spry", "steady", "stellar", "sunny", "swift", "tidy", "tranquil",
    "upbeat", "vivid", "warm", "wise", "witty", "zesty",
)

ANIMALS = (
    "albatross", "alpaca", "badger", "bat", "bear", "beaver", "bison", "crane", "cricket", "crow",
    "deer", "dolphin", "dove", "eagle", "eel", "elk", "falcon", "ferret", "finch", "fox", "frog",
    "gazelle", "gecko", "goat", "goose", "hare", "hawk", "hedgehog", "heron", "ibis", "jackal",
    "jay", "koala", "lark", "lemur", "lion", "lynx", "magpie", "mole", "moose", "newt", "otter",
    "owl", "panda", "panther", "pelican", "penguin", "pony", "puffin", "quail", "rabbit", "raven",
    "robin", "salmon", "seal", "shark", "sloth", "snail", "sparrow", "squid", "stork", "swan",
    "tiger", "toad", "trout", "turtle", "walrus", "whale", "wolf", "wren", "yak", "zebra",
)


def random_name() -> str:
    """E.g. ``"swift-otter-417"``: only characters valid in run and logged-model names."""
    return f"{secrets.choice(ADJECTIVES)}-{secrets.choice(ANIMALS)}-{secrets.randbelow(1000):03d}"
