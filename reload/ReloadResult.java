package reload;

import config.ConfigError;
import java.util.List;
import proxy.ConfigDiff;

/**
 * What one reload did, or what a dry run found it would do.
 *
 * @param applied whether the new config is now in force (also true when it was unchanged);
 *                always false for a dry run
 * @param dryRun  whether this was only a dry run ({@code POST /api/v1/reload?dry_run=true},
 *                {@code featherlb diff}): nothing was applied
 * @param errors  why it was not (or would not be) applied: the file's problems with line and
 *                column, or a listener that could not bind; empty when valid
 * @param diff    what changed (or would change); null when there are errors
 */
public record ReloadResult(boolean applied, boolean dryRun, List<ConfigError> errors, ConfigDiff diff) {
    public ReloadResult {
        errors = List.copyOf(errors);
    }

    /** Whether the config was valid: applied, or for a dry run, would have been. */
    public boolean valid() {
        return errors.isEmpty();
    }

    /** Routes added (+name), removed (-name) and changed (~name), or "unchanged"; empty when not valid. */
    public String changes() {
        return diff == null ? "" : diff.summary();
    }
}
