package e2e;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one scenario measured and the verdicts on it.
 *
 * @param wrk          wrk's figures; several clients or slices combined (see {@link WrkResult#concurrent})
 * @param distribution requests per backend, counted in the backends' access logs
 * @param perClient    requests per backend of each client, in client name order
 * @param fault        the fault figures; {@code null} for a load scenario
 */
public record ScenarioResult(Scenario scenario, WrkResult wrk, Distribution distribution,
                             Map<String, Distribution> perClient, List<Verdict> verdicts, Fault.Report fault) {

    public ScenarioResult {
        perClient = Collections.unmodifiableSortedMap(new TreeMap<>(perClient));
        verdicts = List.copyOf(verdicts);
    }

    public boolean failed() {
        return Verdicts.anyFailed(verdicts);
    }
}
