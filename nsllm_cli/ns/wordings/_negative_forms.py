"""Negative tables: prompts that are none of the 10 problem types, by kind and topic.

kind -> topic -> templates (one family each, id "neg/<topic>-<i>"). Slots name a word pool in `_slots.POOLS`
or a number range in `_slots.RANGES`; a trailing digit ({a2}) draws a second value from the same source, and a
repeated slot reuses its value. No template names one of the 10 operations. The held-out topics live in
`ns.heldout_wordings`.
"""

from __future__ import annotations

NEGATIVE_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    "negative-text": {
        "list": (
            "Name {howmany} {category}.",
            "List {howmany} {category}, please.",
            "Can you name {howmany} {category}?",
        ),
        "write": ("Write a {form} about {topic}.", "Compose a {form} on the theme of {topic}."),
        "translate": ("Translate '{phrase}' into {language}.", "How do you say '{phrase}' in {language}?"),
        "capital": ("What is the capital of {country}?", "Which city is the capital of {country}?"),
        "greeting": (
            "{greeting}! How is your {daypart} going?",
            "{greeting}, who are you?",
            "{greeting}! Can we chat about {hobby}?",
        ),
        "advice": ("How can I {goal}?", "Any advice on how to {goal}?", "What is the best way to {goal}?"),
        "explain": ("Explain {concept} in simple terms.", "Can you explain {concept} to a child?"),
        "recommend": ("Recommend a {media} for someone who likes {genre}.", "Suggest a good {media} about {genre}."),
        "cook": ("What can I cook for dinner with {food} and {food2}?", "Give me a simple recipe using {food}."),
    },
    "negative-numeric": {
        "date": (
            "What happened on {day} {month} {year}?",
            "What is special about {month} {day}?",
            "Tell me about the events of {year} in {country}.",
        ),
        # Slashes that are not division: dates, rates, scores, paths (so "/" alone is no sign of an operation).
        "slash": (
            "What day of the week is {day}/{count}/{year}?",
            "Is {day}/{count} a good date for a picnic?",
            "My train leaves at {hour}:{minute} on {day}/{count}; when should I get to the station?",
            "Is {minutes} km/h fast for a bike?",
            "The recipe says {count}/{count2} cup of sugar; is that a lot?",
            "We lost {score}/{score2} at half time; write a pep talk.",
            "What is stored in /usr/lib{digit} on Linux?",
            "Is a {count}/{count2} split of chores fair?",
        ),
        "pets": (
            "I have {count} cats and {count2} dogs; suggest names.",
            "My {count} kids want a {animal_one}; is that a good idea?",
        ),
        "price": ("Is ${price} a good price for a used {item}?", "I saw a {item} for {price} euros. Should I buy it?"),
        "age": ("My son is {age} years old. What books would he enjoy?", "Is {age} too old to learn {hobby}?"),
        "room": (
            "How do I get to room {room} from the main entrance?",
            "Our meeting moved to room {room}; tell the team.",
        ),
        "phone": ("Is {phone}-{phone2} a valid phone number?", "Write a text asking someone to call {phone} {phone2}."),
        "score": (
            "We won {score} to {score2}, write a headline.",
            "Our team lost {score}-{score2} last night. Write a short consoling message.",
        ),
        "version": (
            "What changed in version {major}.{minor} of {software}?",
            "Should I upgrade {software} from {major}.{minor} to {major2}.0?",
        ),
        "pages": ("Is a {pages}-page novel too long for a book club?", "Summarize chapter {chapter} of {book}."),
        "time": ("Is {hour}:{minute} too early to call a friend?", "Remind me to water the plants at {hour}:{minute}."),
        "address": ("Write directions to {house} {street} Street.", "Is {house} {street} Avenue a nice area to live?"),
        "weather": (
            "It is {celsius} degrees outside, what should I wear?",
            "Is {celsius} degrees warm enough to swim?",
        ),
    },
    "negative-math": {
        # The trained questions' own frame ("What is x OP y?") with operators that are none of the 10 types: the
        # reader learns that the operator decides, so an operator it never saw (such as "//") keeps the gate shut.
        "operator": (
            "What is {a} - {a2}?",
            "What is {a} ** {p}?",
            "What is {a} << {digit}?",
            "What is {a} >> {digit}?",
            "What is {a} NAND {a2}?",
            "What is {a} NOR {a2}?",
            "What is {a} XNOR {a2}?",
            "What is {a} choose {digit}?",
            "What is {a} max {a2}?",
            "What is {a} min {a2}?",
            "What is {a} == {a2}?",
            "What is {a} != {a2}?",
            "What is {a} > {a2}?",
            "What is {a} <= {a2}?",
            "What is {a} to the power {p}?",
            "What is {a} shifted left by {digit}?",
            "{a} ** {p} = ?",
            "{a} << {digit} = ?",
            "{a} - {a2} =",
        ),
        "subtract": (
            "What is {a} minus {b}?",
            "Subtract {b} from {a}.",
            "{a} - {b} = ?",
            "How much is {a} take away {b}?",
        ),
        "power": (
            "What is {b} to the power of {p}?",
            "Compute {b}**{p}.",
            "What is {b} cubed?",
            "What is {a} squared?",
        ),
        "root": ("What is the square root of {a}?", "sqrt({a}) = ?", "What is the cube root of {a}?"),
        "factorial": ("What is {k} factorial?", "Compute {k}!"),
        "percent": ("What is {pct}% of {a}?", "What is {pct} percent of {a}?", "{b} is what percent of {a}?"),
        "average": ("What is the average of {a} and {a2}?", "Find the mean of {a}, {a2} and {a3}."),
        "extreme": (
            "Which is larger, {a} or {a2}?",
            "What is the smaller of {a} and {a2}?",
            "max({a}, {a2}) = ?",
            "min({a}, {a2})",
        ),
        "compare": ("Is {a} greater than {a2}?", "Is {a} < {a2}?", "Which is closer to {a}: {a2} or {a3}?"),
        "distance": (
            "What is the absolute difference between {a} and {a2}?",
            "abs({b} - {a}) = ?",
            "How far apart are {a} and {a2} on the number line?",
        ),
        "convert": (
            "How many centimeters are in {k} meters?",
            "Convert {k} hours to minutes.",
            "Convert {celsius} degrees Celsius to Fahrenheit.",
        ),
        # Stories like the trained word problems, asking for something none of the operations gives.
        "story": (
            "A farmer packs {num} eggs into boxes of {num2}. How many more eggs would he need to fill one more box?",
            "There are {num} students and {num2} teachers. How many more students than teachers are there?",
            "A shop had {num} apples and sold {num2}. How many apples does it have left?",
            "Two ribbons are {num} cm and {num2} cm long. How much longer is the first one?",
            "A tank holds {num} liters and leaks {num2} liters a day. How many liters are gone after a week?",
            "Tom is {num} cm tall and Ann is {num2} cm tall. What is their average height?",
            "A cube has edges of {num} cm. What is its volume in cubic centimeters?",
            "A square field has sides of {num} m. What is its perimeter?",
            "A box holds {num} marbles and a bag holds {num2}. Which holds more?",
            "Two light strips show the binary patterns {num} and {num2}. How many lights are on in the first?",
            "The password flags {num} and {num2} are bit masks. How many bits are set in the second?",
        ),
        "digits": (
            "How many digits does {big} have?",
            "How often does the digit {digit} appear in {big}?",
            "Reverse the digits of {big}.",
        ),
    },
}
