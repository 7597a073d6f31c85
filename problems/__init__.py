"""Problem management (SOP 19): the underlying cause behind incidents, from ``new`` through
investigation and a known error (its workaround published to the KB) to a fix, closed only
once it has held through a stability window."""
