"""The task families of the worlds and their texts.

A family is a kind of task with a right approach and plausible wrong ones. Its questions are
written from templates with slots `{a}`, `{b}` (numbers), `{city}` and `{topic}` (the family's
own words, for templates shared by several families):

- `wordings[0]` phrases the family's tasks (and the look-alike decoys and planted cases);
  `wordings[1:]` reword them (a reworded question keeps the task's slots, so its family, task
  and answer stay the same);
- `paraphrase` phrases the useful seed cases, differently from the tasks;
- `right` succeeds, `wrong` looks as plausible and only succeeds by luck, `third` becomes the
  right approach in a world that drifts that way.

Two sets: `SEPARATED` families, each with its own words (MiniLM puts two families' tasks at
cosine ~0.1-0.3), and `HELP_DESK` tickets, every one phrased from the same templates, so
unrelated tasks sit close (cosine ~0.6-0.8). Every template of a family uses the same slots,
so two tasks of a family never share a wording's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CITIES = ("Lyon", "Porto", "Graz", "Turin", "Ghent", "Bergen", "Cork", "Brno", "Split", "Malmo")

FamilySet = Literal["separated", "help-desk"]


@dataclass(frozen=True)
class Family:
    """A kind of task: how it is asked (and reworded), how a useful case phrases it, and its
    approaches (no approach's text is part of another's)."""

    name: str
    wordings: tuple[str, ...]
    paraphrase: str
    right: str
    wrong: str
    third: str
    topic: str = ""

    @property
    def template(self) -> str:
        """How the family's tasks are asked."""
        return self.wordings[0]


SEPARATED = (
    Family(
        "parcel",
        (
            "How much does it cost to ship a {a} kg parcel to {city}?",
            "Shipping {a} kg in one parcel to {city}: what is the price?",
            "What is the postage for a parcel of {a} kg going to {city}?",
            "I need to send a {a} kg package to {city}; how much will it cost?",
            "Price check: one {a} kg parcel, destination {city}?",
        ),
        "What would a courier charge to send {a} kilos of goods over to {city}?",
        "Look up the carrier's zone rate table for the weight band",
        "Estimate the price from the road distance to the city",
        "Weigh the parcel's volume against the carrier's dimensional divisor",
    ),
    Family(
        "loan",
        (
            "What is the monthly payment on a {a}000 euro loan over {b} years?",
            "A {a}000 euro loan is repaid over {b} years: what is paid each month?",
            "How much is each monthly repayment of a {b}-year loan of {a}000 euros?",
            "Borrowing {a}000 euros for {b} years, what will the monthly payment be?",
            "Monthly cost of a loan: {a}000 euros, {b} years?",
        ),
        "A bank lends {a}000 euros for {b} years: how big is each monthly instalment?",
        "Apply the annuity formula with the monthly interest rate",
        "Divide the principal by the number of months",
        "Read the instalment from the lender's amortisation schedule",
    ),
    Family(
        "recipe",
        (
            "How much flour is needed to bake {a} loaves of the {city} bread recipe?",
            "To make {a} loaves with the {city} bread recipe, how much flour do I need?",
            "What amount of flour goes into {a} loaves of {city} bread?",
            "Baking the {city} bread recipe {a} times over: how much flour?",
            "Flour required for {a} loaves following the {city} bread recipe?",
        ),
        "Scaling the {city} bread recipe up to {a} loaves, what quantity of flour goes in?",
        "Scale every ingredient by the ratio of loaves to the recipe's yield",
        "Add the difference in loaves to every ingredient",
        "Weigh the flour by baker's percentages of the dough",
    ),
    Family(
        "clock",
        (
            "What time is it in {city} when it is {a}:00 in Tokyo?",
            "When the time in Tokyo is {a}:00, what is the time in {city}?",
            "It is {a}:00 in Tokyo right now; what time is it in {city}?",
            "Convert {a}:00 Tokyo time to local time in {city}.",
            "Tokyo {a}:00 corresponds to which hour in {city}?",
        ),
        "If Tokyo clocks show {a} o'clock, what do clocks in {city} read?",
        "Look up both cities' UTC offsets including daylight saving",
        "Use the longitude difference divided by fifteen",
        "Read the hour from a world clock service for the city",
    ),
    Family(
        "paint",
        (
            "How many litres of paint cover a {a} square metre wall in {city}?",
            "A {a} square metre wall in {city} needs paint: how many litres?",
            "What volume of paint in litres does a {a} m2 wall in {city} take?",
            "Painting a wall of {a} square metres in {city}, how much paint is needed?",
            "Litres of paint for one {a} square metre wall in {city}?",
        ),
        "A wall of {a} m2 in {city} needs painting: what volume of paint should be bought?",
        "Divide the area by the label's coverage per litre, times the coats",
        "Multiply the area by the wall's height",
        "Ask the paint shop's calculator for the wall's surface",
    ),
)

# One help desk: every ticket is written from the same templates; only `topic` says what it
# is about. Each template uses every slot.
HELP_DESK_WORDINGS = (
    "Help desk ticket {a}-{b} ({city}, standard priority). Customer report: they {topic}. "
    "What should the support agent do to close this ticket?",
    "Support request {a}-{b} (office: {city}, normal priority). The customer writes that they "
    "{topic}. How should the support agent resolve this request?",
    "Ticket {a}-{b} in the {city} support queue, standard priority. Reported issue: they "
    "{topic}. Which action should the agent take to close the ticket?",
    "Customer ticket {a}-{b} ({city} branch, priority normal). Description: they {topic}. "
    "What does the support agent need to do to resolve this ticket?",
    "Service desk case {a}-{b} ({city}, usual priority). From the customer: they {topic}. "
    "What step should support take to close this case?",
    "Incoming help desk ticket {a}-{b} from {city}, normal priority. Summary: they {topic}. "
    "How does the support agent fix this ticket?",
)
HELP_DESK_PARAPHRASE = (
    "Someone in {city} contacted us (ref {a}-{b}) as they {topic}; what did support do to fix it?"
)


def _ticket(name: str, topic: str, right: str, wrong: str, third: str) -> Family:
    return Family(name, HELP_DESK_WORDINGS, HELP_DESK_PARAPHRASE, right, wrong, third, topic)


HELP_DESK = (
    _ticket(
        "login",
        "cannot sign in to their account",
        "Reset the password from the identity console and clear the lockout",
        "Ask the customer to reinstall the app",
        "Re-issue the single sign-on certificate",
    ),
    _ticket(
        "invoice",
        "were charged twice on the last invoice",
        "Refund the duplicate charge from the billing ledger",
        "Explain that the second charge is a pending card hold",
        "Void the invoice and issue a corrected one",
    ),
    _ticket(
        "delivery",
        "are still waiting for an order that has not arrived",
        "Open a trace with the carrier using the tracking number",
        "Ship a replacement order from the warehouse",
        "Check the address against the postal registry",
    ),
    _ticket(
        "crash",
        "see the app close as soon as it starts",
        "Roll back to the previous app release for this device",
        "Clear the app's cache and stored data",
        "Enable the safe-mode flag in the device profile",
    ),
    _ticket(
        "export",
        "cannot export the monthly report",
        "Raise the export row limit in the workspace settings",
        "Switch the report format from PDF to CSV",
        "Rebuild the index of the report's data source",
    ),
)

FAMILY_SETS: dict[FamilySet, tuple[Family, ...]] = {
    "separated": SEPARATED,
    "help-desk": HELP_DESK,
}
