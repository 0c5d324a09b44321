"""What the model cannot know, in plain words: shown under the prediction, on the Limits tab
and in the consult report (Markdown: **bold**, *italic*, "- " bullets)."""

from .resources import load_json

__all__ = ["LIMITS", "large_movements"]


def large_movements() -> str:
    """One Markdown bullet stating how much of a full expression the model predicts, from the
    figures measured on expression photos (meshes/large_movements.json)."""
    f = load_json("large_movements.json")["expressions"]
    eye, smile = f["eyes_closed"], f["smile"]
    return (
        "- **Large movements.** The tissue is linear around the photographed face, so it "
        f"predicts a full eye closure at about {eye['median']:.2f} of its size "
        f"({eye['range'][0]:.2f}-{eye['range'][1]:.2f} over {eye['n_sides']} eyes on "
        f"eye-closure photos) and a smile's mouth-corner excursion at {smile['median']:.1f}× "
        f"({smile['range'][0]:.1f}-{smile['range'][1]:.1f}×, {smile['n_sides']} sides). "
        "Predicted expressions show the direction of a movement, not its full size."
    )


LIMITS = """
**What the model cannot know.** This is a *prediction, not a promise*: it is a mechanical and
pharmacological model fitted to one photo, and every number comes with a range (10th–90th
percentile over uncertain spread, potency, individual sensitivity and duration, and over how
this person's muscle tone and tissue differ from the anatomical average). It cannot see:

- **Static asymmetry** — differences of volume, skeleton, soft-tissue laxity or scarring. Toxin
  only relaxes muscle; it cannot treat these, and the model does not pretend to.
- **A weak side cannot be lifted.** Toxin can only weaken the stronger side to match; it never
  adds strength where a muscle is paretic.
- **Lid position from a photo.** Lid margins and pupil heights are read on the photo, yet a
  1 mm droop of one lid read as 0.6–1.2 mm on our test photos, and was missed on narrow, smiling
  eyes; MRD2 follows a change of one lower lid poorly. Measure a suspected ptosis at the consult.
- **One photo's noise.** A re-taken photo of the same face moves most left-right differences by
  under 0.3 mm, but the lower-face width and the mouth corners by up to 2–3 mm. Every difference
  carries its ± (the 80% band of that noise); one inside it is not distinguishable from zero on
  that photo, and a change between visits smaller than both visits' ± is not a treatment effect.
- **Jaw width from a photo.** The jaw outline is read where it stands against the background;
  collars, beards and hair hide it (then the figure is the face model's, and the app says so).
  Judge the masseter by palpation on clenching.
{large_movements}
- The depth and placement of a real needle, the product's storage and reconstitution, individual
  resistance, previous treatments, or how the face moves outside the photographed expressions.

The injector's examination and judgement decide the plan.
""".replace("{large_movements}", large_movements())
