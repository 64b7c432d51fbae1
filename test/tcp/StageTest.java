package tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tcp.Stage;

/** A connection's stages and the only transitions between them. */
class StageTest {
    @Test
    void onlyTheDesignedTransitionsAreAllowed() {
        assertEquals(EnumSet.of(Stage.DIALING, Stage.ENDED), next(Stage.PREAMBLE));
        assertEquals(EnumSet.of(Stage.FORWARDING, Stage.ENDED), next(Stage.DIALING));
        assertEquals(EnumSet.of(Stage.REDIALING, Stage.ENDED), next(Stage.FORWARDING));
        assertEquals(EnumSet.of(Stage.FORWARDING, Stage.ENDED), next(Stage.REDIALING));
        assertEquals(EnumSet.noneOf(Stage.class), next(Stage.ENDED));
    }

    private static Set<Stage> next(Stage from) {
        EnumSet<Stage> to = EnumSet.noneOf(Stage.class);
        for (Stage s : Stage.values()) if (from.next(s)) to.add(s);
        return to;
    }
}
