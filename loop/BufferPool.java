package loop;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The large direct buffers that a forwarded direction borrows to hold what a slow reader has not taken yet,
 * until it has: reused, because allocating a direct buffer costs a system call and a Cleaner, too
 * much per burst. Direct rather than heap, because a channel write from a heap buffer goes through a
 * temporary direct buffer and a copy. Used from every loop's thread, hence the concurrent queue.
 */
public final class BufferPool {
    private final int size;
    private final int retain;
    private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
    private final AtomicInteger freeCount = new AtomicInteger();

    /** Buffers of {@code size} bytes; at most {@code retain} idle ones are kept. */
    public BufferPool(int size, int retain) {
        this.size = size;
        this.retain = retain;
    }

    public ByteBuffer take() {
        ByteBuffer buffer = free.poll();
        if (buffer == null) return ByteBuffer.allocateDirect(size);
        freeCount.decrementAndGet();
        return buffer.clear();
    }

    public void give(ByteBuffer buffer) {
        if (freeCount.incrementAndGet() <= retain) {
            free.offer(buffer);
        } else {
            freeCount.decrementAndGet(); // dropped: the Cleaner frees it
        }
    }
}
