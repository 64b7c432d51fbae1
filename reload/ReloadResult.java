package reload;

import config.ConfigError;
import java.util.List;

/**
 * What one reload did.
 *
 * @param applied whether the new config is now in force (also true when it was unchanged)
 * @param errors  why it was not applied: the file's problems with line and column, or a listener
 *                that could not bind; empty when applied
 * @param changes routes added (+name), removed (-name) and updated (~name), or "unchanged"
 */
public record ReloadResult(boolean applied, List<ConfigError> errors, String changes) {
    public ReloadResult {
        errors = List.copyOf(errors);
    }
}
