package loop;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.ERROR;
import static java.lang.System.Logger.Level.WARNING;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SelectableChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * An event loop: one {@link Selector}, on its own platform thread, that serves any selectable
 * channel through a {@link Handler}: for TCP it accepts clients on every listener, dials their
 * endpoints and copies bytes both ways (package {@code tcp}).
 *
 * <p>Why a selector rather than a virtual thread per direction: a blocking read on a virtual thread
 * first fails with EAGAIN, arms a one-shot registration in the JDK's poller and parks, and the
 * poller thread unparks it — about twice the system calls per request of an event loop, and a
 * thread stack per direction while idle. A loop reads only what epoll says is ready, and an idle
 * connection costs two selection keys and two small objects.
 *
 * <p>Why a platform thread: on a virtual thread, JDK 25's selector parks on the epoll descriptor
 * through the JDK's poller, so every time the loop runs out of work it re-arms that registration
 * and parks its carrier, and the poller thread unparks it again (epoll_ctl, epoll_wait, futex
 * wake and wait); and each socket's first read or connect on a virtual thread checks its
 * blocking mode once more (fcntl). A platform thread waits in its own {@code epoll_wait}.
 * Measured with new connections (wrk, {@code Connection: close}): 31.4 against 33.1 system calls
 * per connection, 105 against 122 µs of CPU, 0.76× against 0.69× HAProxy's rate, same run.
 * The server runs one loop per two cores (see {@code proxy.Server}).
 *
 * <p>Deadlines (a connect's, a preamble's) are {@link #schedule}d timers; the select waits no
 * longer than the earliest one.
 *
 * <p>Threads: {@link #run()}, every task given to {@link #execute} and every timer run on the loop's
 * thread; {@link #execute} and {@link #stop} may be called from any thread, the rest only on the loop's.
 */
public final class EventLoop implements Runnable {
    private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

    private final Selector selector;
    /** Every read goes here first and is written straight out: see {@link Handler#ready}. */
    private final ByteBuffer shared;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private boolean open = true; // loop thread only
    /**
     * Channels whose keys were cancelled, to close once the next select has deregistered them, and
     * tasks to run once the channels queued before them are closed ({@link #afterClose}), in order.
     * Loop thread only.
     */
    private final List<Object> closing = new ArrayList<>();
    /** What waits for keys cancelled by {@link #deregister} to leave the selector. Loop thread only. */
    private final List<Runnable> deregistered = new ArrayList<>();
    /** Pending deadlines, earliest first; cancelled ones stay until they come first. Loop thread only. */
    private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> Long.signum(a.at - b.at));

    /**
     * What a selection key of the loop's is attached to: for TCP a listener's accepting side, a
     * connection in its preamble or with a connect pending, or a direction of a forwarded connection.
     */
    public interface Handler {
        /** {@code key} is ready; {@code shared} is the loop's buffer, free to use until this returns. */
        void ready(SelectionKey key, ByteBuffer shared);

        /** {@link #ready} threw, a bug: end what the key serves, so the loop keeps serving the others. */
        void failed();

        /** The loop is ending: close what the key serves (queue it; the loop runs its tasks once more). */
        void stop();
    }

    /** A task to run on the loop's thread once its time comes, unless cancelled first. */
    public static final class Timer {
        private final long at; // System.nanoTime()
        private Runnable task; // null once cancelled or run

        private Timer(long at, Runnable task) {
            this.at = at;
            this.task = task;
        }

        /** It will not run. Loop thread only. */
        public void cancel() {
            task = null;
        }
    }

    private final Consumer<Throwable> failed;

    /**
     * @param bufferSize the size of the buffer every read of the loop's goes into first
     * @param failed     told, on the loop's thread, when the loop itself fails and ends (not when it is stopped)
     */
    public EventLoop(String name, int bufferSize, Consumer<Throwable> failed) throws IOException {
        this.failed = failed;
        this.shared = ByteBuffer.allocateDirect(bufferSize);
        this.selector = Selector.open();
        // daemon: a loop must never keep the JVM alive; the server's shutdown stops it first
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this);
    }

    public void start() {
        thread.start();
    }

    /** To register channels with, on the loop's thread. */
    public Selector selector() {
        return selector;
    }

    /** Runs {@code task} on the loop's thread, soon. Tasks run in the order given. */
    public void execute(Runnable task) {
        tasks.add(task);
        if (Thread.currentThread() != thread) selector.wakeup();
    }

    /** Runs {@code task} on the loop's thread in {@code nanos} (or a little later). Loop thread only. */
    public Timer schedule(long nanos, Runnable task) {
        Timer timer = new Timer(System.nanoTime() + nanos, task);
        timers.add(timer);
        return timer;
    }

    @Override
    public void run() {
        try {
            while (open) {
                int cancelled = closing.size();
                int waiting = deregistered.size();
                // closing or deregistering: the select deregisters them, and must not wait
                long wait = cancelled + waiting > 0 ? -1 : untilNextTimer();
                if (wait == 0) selector.select(this::ready);
                else if (wait < 0) selector.selectNow(this::ready);
                else selector.select(this::ready, wait);
                closeDeregistered(cancelled);
                runDeregistered(waiting);
                runTimers();
                runTasks();
            }
        } catch (IOException | RuntimeException e) {
            // the selector itself broke: this loop's connections and its share of accepting are gone
            failed.accept(e);
            LOG.log(ERROR, "{0} failed: {1}", thread.getName(), e.toString());
        } finally {
            runTasks(); // everything given before stop()
            if (selector.isOpen()) { // a closed one (the failure above) has no keys left to ask for
                for (SelectionKey key : selector.keys()) {
                    if (key.isValid()) ((Handler) key.attachment()).stop();
                }
            }
            runTasks();
            try {
                selector.close();
            } catch (IOException e) {
                LOG.log(WARNING, "{0}: closing the selector: {1}", thread.getName(), e.getMessage());
            }
            closeDeregistered(closing.size()); // the selector's close deregistered every key
        }
    }

    /** Milliseconds until the earliest timer is due: 0 for none (wait for ever), -1 if one is due now. */
    private long untilNextTimer() {
        Timer next;
        while ((next = timers.peek()) != null && next.task == null) timers.poll();
        if (next == null) return 0;
        long nanos = next.at - System.nanoTime();
        return nanos <= 0 ? -1 : Math.max(1, (nanos + 999_999) / 1_000_000);
    }

    private void runTimers() {
        if (timers.isEmpty()) return;
        long now = System.nanoTime();
        Timer next;
        while ((next = timers.peek()) != null && next.at - now <= 0) {
            timers.poll();
            Runnable task = next.task;
            next.task = null;
            if (task != null) run(task);
        }
    }

    private void ready(SelectionKey key) {
        if (!key.isValid()) return; // its connection ended earlier in this round
        Handler handler = (Handler) key.attachment();
        try {
            handler.ready(key, shared);
        } catch (RuntimeException e) { // a bug: end that connection, keep the loop serving the others
            LOG.log(WARNING, "{0}: forwarding failed: {1}", thread.getName(), e.toString());
            LOG.log(DEBUG, "the bug's stack trace", e);
            handler.failed();
        }
    }

    /**
     * Closes {@code channel}, a channel served by this loop, on the loop's thread.
     *
     * <p>Why not {@code channel.close()} at once: the JDK cannot close the descriptor of a channel that
     * is still registered with a selector; it defers that to the selector's next select and meanwhile,
     * so that the peer still gets its FIN, reads SO_LINGER and shuts the output down: two system calls
     * per socket, and the shutdown fails when the connection already ended both ways. So the key is
     * cancelled now and the channel closed right after the next select, which then is a
     * {@code selectNow}, has deregistered it: the close is then a plain {@code close(2)}. A reset
     * (SO_LINGER 0) is still a reset.
     */
    public void close(SelectableChannel channel) {
        if (channel == null) return;
        SelectionKey key = channel.keyFor(selector);
        if (key == null || Thread.currentThread() != thread) {
            closeQuietly(channel);
        } else if (key.isValid()) {
            key.cancel();
            closing.add(channel);
        } else if (!closing.contains(channel)) { // cancelled by deregister(), not yet deregistered
            closing.add(channel);
        }
    }

    /**
     * Runs {@code task} once every channel {@link #close}d so far on this loop is really closed: a
     * connection gives back its share of the file descriptors only then, or a burst of ended
     * connections would let as many new ones in while the old descriptors are still open. Loop thread only.
     */
    public void afterClose(Runnable task) {
        if (closing.isEmpty()) task.run();
        else closing.add(task);
    }

    /**
     * Takes {@code channels} out of this loop's selector and runs {@code then} on the loop's thread
     * once the next select has deregistered them (at once if none is registered): only then can a
     * channel be put into blocking mode, for an engine that reads and writes on threads of its own.
     * Loop thread only.
     */
    public void deregister(Runnable then, SelectableChannel... channels) {
        boolean any = false;
        for (SelectableChannel channel : channels) {
            SelectionKey key = channel.keyFor(selector);
            if (key == null) continue;
            key.cancel();
            any = true;
        }
        if (any) deregistered.add(then);
        else then.run();
    }

    private void runDeregistered(int count) {
        if (count == 0) return;
        List<Runnable> done = new ArrayList<>(deregistered.subList(0, count));
        deregistered.subList(0, count).clear();
        done.forEach(this::run);
    }

    private void closeDeregistered(int count) {
        if (count == 0) return;
        List<Object> done = closing.subList(0, count);
        for (Object next : done) {
            if (next instanceof SelectableChannel channel) closeQuietly(channel);
            else run((Runnable) next);
        }
        done.clear();
    }

    private static void closeQuietly(SelectableChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    private void runTasks() {
        Runnable task;
        while ((task = tasks.poll()) != null) run(task);
    }

    private void run(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.log(WARNING, "{0}: a task failed: {1}", thread.getName(), e.toString());
            LOG.log(DEBUG, "the bug's stack trace", e);
        }
    }

    /**
     * Ends the loop after the tasks given so far, closing the connections still on it; waits for
     * that. The server calls it after its drain, when no connection is handed over any more.
     */
    public void stop() {
        execute(() -> open = false);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
