"""What a slot that is not an operand is filled with: a word from `POOLS` or an integer from `RANGES` (inclusive)."""

from __future__ import annotations

POOLS: dict[str, tuple[str, ...]] = {
    "howmany": ("three", "five", "a few", "some", "two", "four", "several"),
    "category": (
        "colors", "fruits", "planets", "rivers in Europe", "famous painters", "jazz musicians", "types of clouds",
        "Shakespeare plays", "programming languages", "board games", "dog breeds", "musical instruments", "vegetables",
        "birds", "constellations", "Greek gods", "mountains", "spices", "team sports", "languages spoken in Africa",
        "French cheeses", "tree species", "poets", "kitchen tools",
    ),
    "form": (
        "haiku", "short poem", "limerick", "two-sentence story", "thank-you note", "tweet", "short speech", "riddle",
        "song chorus", "diary entry",
    ),
    "topic": (
        "autumn", "the ocean", "a lost cat", "coffee", "a city at night", "the first day of school", "friendship",
        "a rainy Monday", "a robot learning to paint", "the moon", "a grandmother's kitchen", "a busy train station",
        "snow", "a lighthouse", "summer holidays", "an old bicycle",
    ),
    "phrase": (
        "good morning", "thank you very much", "where is the station", "I love books", "see you tomorrow",
        "happy birthday", "the weather is nice today", "how much does this cost", "I am hungry", "nice to meet you",
    ),
    "language": (
        "French", "Spanish", "German", "Italian", "Japanese", "Portuguese", "Dutch", "Swahili", "Korean", "Turkish",
        "Polish", "Greek",
    ),
    "country": (
        "Peru", "Kenya", "Norway", "Vietnam", "Canada", "Chile", "Egypt", "Finland", "Mongolia", "Portugal", "Ghana",
        "Nepal", "Australia", "Morocco", "Hungary", "Colombia", "Indonesia", "Ireland", "Uruguay", "Laos",
    ),
    "greeting": ("Hi", "Hello", "Hey", "Good morning", "Good evening", "Howdy", "Hi there"),
    "daypart": ("day", "morning", "week", "evening", "weekend"),
    "hobby": (
        "gardening", "chess", "painting", "hiking", "photography", "the guitar", "knitting", "astronomy", "baking",
        "surfing",
    ),
    "goal": (
        "sleep better", "learn to cook", "stop procrastinating", "be more confident at work",
        "keep my houseplants alive", "make new friends in a new city", "prepare for a job interview",
        "save money on groceries", "get better at chess", "start running", "write a good cover letter",
        "stay focused while studying", "apologize to a friend", "plan a trip on a budget",
    ),
    "concept": (
        "photosynthesis", "inflation", "how vaccines work", "black holes", "the water cycle", "machine learning",
        "recursion", "supply and demand", "plate tectonics", "the greenhouse effect", "how DNS works",
        "natural selection", "how a bill becomes law",
    ),
    "why": (
        "is the sky blue", "do cats purr", "do leaves change color in autumn", "do we dream", "does bread rise",
        "is the sea salty", "do onions make us cry", "do birds migrate", "does ice float", "do we get hiccups",
    ),
    "codetask": (
        "reverse a string", "read a file line by line", "sort a list of names", "parse JSON", "make an HTTP request",
        "write a unit test", "handle errors", "format a date",
    ),
    "proglang": ("Python", "JavaScript", "Rust", "Go", "Java", "Ruby", "Kotlin", "TypeScript"),
    "media": ("book", "movie", "podcast", "board game", "TV series", "documentary"),
    "genre": ("mysteries", "science fiction", "history", "cooking", "comedy", "space", "travel", "detective stories"),
    "animal": ("octopuses", "penguins", "elephants", "owls", "dolphins", "honeybees", "giraffes", "koalas"),
    "animal_one": ("puppy", "kitten", "hamster", "rabbit", "parrot", "goldfish"),
    "food": ("rice", "eggs", "spinach", "chickpeas", "potatoes", "tofu", "mushrooms", "lentils", "pasta", "cheese"),
    "month": (
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ),
    "item": ("bike", "laptop", "sofa", "camera", "guitar", "car", "phone", "desk"),
    "software": ("Python", "Node", "Blender", "Firefox", "PostgreSQL", "Django", "Ubuntu"),
    "book": ("Moby Dick", "Pride and Prejudice", "The Hobbit", "Dune", "Jane Eyre", "Don Quixote"),
    "street": ("Maple", "Oak", "Station", "Church", "Mill", "Park", "Harbor", "King"),
    "dish": ("banana bread", "a pork roast", "lasagna", "sourdough", "a cheesecake", "roast vegetables"),
    "airline": ("BA", "LH", "AF", "UA", "KL", "IB", "AZ"),
    "minute": ("00", "05", "15", "20", "30", "45", "50"),
    "decade": ("1920", "1930", "1940", "1950", "1960", "1970", "1980", "1990", "2000", "2010"),
    "things": ("marbles", "stickers", "cards", "coins", "beads", "apples", "pencils", "stamps", "cookies", "shells"),
    "box": ("boxes", "bags", "crates", "jars", "trays", "packs", "tins"),
    "person": ("Mia", "Tom", "Ana", "Ravi", "Lena", "Omar", "Sara", "Ken", "Zoe", "Luis"),
    "device": ("router", "thermostat", "printer", "camera", "controller", "sensor board"),
    "digit": ("1", "2", "3", "4", "5", "6", "7", "8", "9"),
}  # fmt: skip
RANGES: dict[str, tuple[int, int]] = {  # inclusive
    "day": (1, 28), "year": (1066, 2023), "count": (2, 9), "price": (5, 2500), "age": (2, 90), "room": (100, 999),
    "phone": (100, 9999), "score": (0, 7), "major": (1, 12), "minor": (0, 20), "pages": (80, 1200),
    "chapter": (1, 40), "hour": (5, 11), "house": (1, 999), "temp": (150, 240),
    "minutes": (10, 90), "flightno": (100, 9999), "celsius": (-5, 40), "a": (10, 999), "b": (2, 99), "p": (2, 6),
    "k": (3, 12), "pct": (5, 95), "big": (1000, 9999999),
    "n": (1, 60),  # the label of "Q{n}." and "Problem {n}:"
}  # fmt: skip
