package e2e;

/**
 * One checked statement about a scenario's outcome.
 *
 * @param outcome PASS or FAIL; INFO for a figure that is recorded but not judged
 * @param check   what was checked, e.g. "even split"
 * @param detail  the figures behind the outcome
 */
public record Verdict(Outcome outcome, String check, String detail) {
    public enum Outcome { PASS, FAIL, INFO }

    public static Verdict of(boolean passed, String check, String detail) {
        return new Verdict(passed ? Outcome.PASS : Outcome.FAIL, check, detail);
    }

    public static Verdict info(String check, String detail) {
        return new Verdict(Outcome.INFO, check, detail);
    }

    public boolean failed() {
        return outcome == Outcome.FAIL;
    }

    /** "PASS  even split: backend1 ..." as in the run log. */
    @Override
    public String toString() {
        return "%-4s  %s: %s".formatted(outcome, check, detail);
    }
}
