"""Fixed phrases: the composer, the rules layer, the UI and the tests all import these."""

from __future__ import annotations

NOT_COVERED = ("I can't answer that from the sources I have: they do not cover this question. "
               "Please ask your care team, or see the closest sources below.")
OFF_TOPIC = ("I can only answer questions about relapsed or refractory acute lymphoblastic leukemia (ALL), "
             "from a small set of source documents.")
NOTHING_SURVIVED = ("I can't give an answer I could check against the sources for this question. "
                    "Please ask your care team, or see the closest sources below.")
# "The sources do not say": the opening of a ``partial`` answer, by what the sources do not give.
PARTIAL = {
    "dose": "The sources do not give a dose for that.",
    "duration": "The sources do not give a time or duration for that.",
    "age": "The sources do not give an age for that.",
    "date": "The sources do not give a date for that.",
    "cost": "The sources do not give a cost for that.",
    "comparison": "The sources do not draw that comparison.",
    "cause": "The sources do not say why.",
    "agent": "The sources do not name a drug for that.",
    "drug": "The sources do not say this about the treatment you asked about.",
    "figure": "The sources do not give a figure for that.",
    "": "The sources discuss this topic, but they do not say what you asked.",
}
CLOSEST = "The closest statements in the sources:"


def partial(missing: str) -> str:
    """The fixed phrase that opens a ``partial`` answer (value kinds without their own phrase are figures)."""
    return PARTIAL.get(missing) or (PARTIAL["figure"] if missing else PARTIAL[""])


# Fear and grief: a person, not a query.  The sources name no support service, so none is named here.
FEELING = ("I'm sorry you are going through this. I can't say what will happen to one person: the treating "
           "team knows the details and is the right place to take this worry; you can also ask them who can "
           "support you and your family. If it helps, I can tell you what the sources say, for example about "
           "treatment options or outcomes after a relapse.")
GRIEF = ("I am so sorry for your loss. I can't say what might have gone differently for one person; the team "
         "who gave the care can go through it with you, and can tell you where to find support.")
FEELING_NOTE = ("I'm sorry you are going through this. What follows is general information from the sources; "
                "the treating team can talk it through with you.")
ENGLISH_ONLY = ("I answer in English only, from English sources. Please ask your question in English. "
                "(Solo respondo en inglés. · Je réponds uniquement en anglais. · Ich antworte nur auf Englisch.)")

INJECTION = ("I can't change how I work: I answer only from the source documents, with a citation "
             "for every statement.")

SAFETY_PERSONAL = ("This is general information from the sources, not advice for a particular person. "
                   "Doses and treatment choices for a specific patient must be decided with the treating team.")
SAFETY_STOP = "Do not stop, skip or change a medicine without talking to the treating team first."
SAFETY_URGENT = ("If someone on treatment for leukemia has a fever, bleeding, confusion, trouble breathing or "
                 "another sudden change, contact the treating team or emergency services now. Do not wait "
                 "for an answer here.")
POPULATION = ("{statements} about {population}, not {asked} as your question is: figures for one group "
              "do not carry over to the other.")
ABOUT = "(About {population}.)"  # the label in front of a statement about another group than the asker's
CONFLICT = ("The sources give different figures for {topic}: {sides}. Both statements are quoted below, "
            "the newest source first.")
OUTDATED = ("The sources differ on {topic}: {sides}. The newest source, quoted first below, says it is "
            "withdrawn or no longer available.")

VERDICT_SUMMARY = "{passed} of {total} quoted statements match their sources word for word"
# How well the answer covers the question (the answerability decision), shown apart from the check above.
COVERAGE = {
    "strong": "The quoted passages answer the question directly.",
    "fair": "The quoted passages answer the question only in part; read them before relying on the answer.",
    "weak": "The sources do not fully answer this question; these are only the closest statements.",
}

ERROR_EMPTY = "Please type a question."
ERROR_TOO_LONG = "That question is too long ({length:,} characters); please keep it under {limit:,} characters."
ERROR_INTERNAL = "Something went wrong while answering. The question was not lost; please try again."

# The Lookup tab's word search, when no sentence or reference entry holds any of the words.
LOOKUP_NO_MATCH = ("Nothing in the sources matches {words}: no sentence and no reference-list entry holds any of "
                   "those words. Try other spellings or fewer words, a drug's generic name, a trial name "
                   "(such as ZUMA-3) or a first author's surname.")

# The chat: a vote under each answer, the line saying what a vote stores, the question box's counter.
VOTE_PROMPT = "Was this answer helpful?"
VOTE_LABELS = {1: "Helpful", -1: "Not helpful"}
FEEDBACK_NOTE = ("Rate an answer with the buttons under it; a second click changes your vote. A vote stores the "
                 "question, the answer, your vote and any comment in this app's local feedback database, on the "
                 "computer that runs it.")
FEEDBACK_SAVED = "Your vote “{vote}” on the answer to “{question}” was saved."
FEEDBACK_CHANGED = "Your vote on the answer to “{question}” was changed from “{old}” to “{vote}” and saved."
FEEDBACK_STORED = "Stored in the local feedback database: the question, the answer and your vote{comment}."
FEEDBACK_WITH_COMMENT = ", with your comment"
FEEDBACK_FIRST = "Ask a question first; then rate its answer with the buttons under it."
FEEDBACK_GONE = "That answer is not available any more; ask the question again to rate it."
FEEDBACK_FAILED = "Sorry, the feedback could not be saved."
COMMENT_PLACEHOLDER = "Optional comment: type it, then rate an answer"
CHAR_COUNT = "{length} of {limit} characters"
CHAR_OVER = "{length} of {limit} characters: too long, please shorten the question"
SOURCE_CLOSE = "Close the source ✕"

# The generative composer's prompt (assistant/generate.py) and what is shown when its answer is not used.
LLM_SYSTEM = ("You answer questions about relapsed or refractory acute lymphoblastic leukemia using ONLY the "
              "numbered passages you are given. Write a few short sentences. End every sentence with the "
              "number of the passage it comes from, like [2]. Copy every number, unit and drug name exactly as "
              "the passage writes it. Do not add anything the passages do not say. If the passages do not "
              "answer the question, reply only with the sentence given for that case.")
LLM_READER = {
    "patient": "The reader is a patient or a family member: use plain words and short sentences.",
    "clinician": "The reader is a clinician: give the clinical detail and the exact figures.",
}
LLM_USER = ("Passages:\n\n{passages}\n\nQuestion: {question}\n\nIf the passages do not answer it, reply: "
            "{not_covered}\n\nOtherwise answer in one to three short sentences, each ending with the number of its "
            "passage in brackets, like [1].")  # the reminder last: small models follow what they read last
LLM_FALLBACK = "The language model's answer could not be checked against the sources ({reason}); the quoted " \
               "answer is shown instead."
VOTE_STORED = ("Your vote is stored with this question and answer in the local feedback database; click the other "
               "button to change it.")
