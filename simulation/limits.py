"""What the model cannot know, in plain words: shown under the prediction, on the Limits tab
and in the consult report (Markdown: **bold**, *italic*, "- " bullets)."""

__all__ = ["LIMITS"]

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
- The depth and placement of a real needle, the product's storage and reconstitution, individual
  resistance, previous treatments, or how the face moves outside the photographed expressions.

The injector's examination and judgement decide the plan.
"""
