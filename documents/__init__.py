"""Documents the campaign exchanges with people: the units' Excel lists, the decision, the lists
of honourees. Everything a person reads is Vietnamese first; everything the system reads back is
validated whole, so a unit learns about every problem in its file at once."""
