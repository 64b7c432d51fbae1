package proxy;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The large direct buffers that pipes borrow while a flow is bulk (see {@code Connection.pipe}),
 * reused: allocating a direct buffer costs a system call and a Cleaner, too much per burst. Direct
 * rather than heap, because a channel read into a heap buffer goes through a temporary direct
 * buffer and a copy, which for 64 KiB at a time is worth saving; small reads take that path.
 */
final class BufferPool {
    private final int size;
    private final int retain;
    private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
    private final AtomicInteger freeCount = new AtomicInteger();

    /** Buffers of {@code size} bytes; at most {@code retain} idle ones are kept. */
    BufferPool(int size, int retain) {
        this.size = size;
        this.retain = retain;
    }

    ByteBuffer take() {
        ByteBuffer buffer = free.poll();
        if (buffer == null) return ByteBuffer.allocateDirect(size);
        freeCount.decrementAndGet();
        return buffer.clear();
    }

    void give(ByteBuffer buffer) {
        if (freeCount.incrementAndGet() <= retain) {
            free.offer(buffer);
        } else {
            freeCount.decrementAndGet(); // dropped: the Cleaner frees it
        }
    }
}
