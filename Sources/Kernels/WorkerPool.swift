import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed set of threads that run the parts of one data-parallel job.
///
/// The caller's thread takes part in every job, so a pool of `threadCount` 2 starts
/// one extra thread. Threads are created once, in `init`: a decode step dispatches
/// about 150 jobs (one per matrix group and attention), so a `Task` or thread per job
/// would cost more than the work. Workers spin briefly before sleeping, because
/// jobs arrive microseconds apart during a step.
///
/// ```swift
/// let pool = WorkerPool(threadCount: 2)
/// pool.run(taskCount: rows) { row, worker in output[row] = dot(row) }
/// ```
///
/// Calls of `run` from different threads take turns (one job runs at a time); a
/// body must not call `run` on its own pool. The body runs on several threads at
/// once, so it must only write to disjoint memory per task.
public final class WorkerPool: @unchecked Sendable {
    /// Threads that run a job, the caller included.
    public let threadCount: Int
    private let state: PoolState
    private var threads: [pthread_t] = []

    /// - Parameter threadCount: threads per job including the caller; defaults to the
    ///   number of online processors.
    public init(threadCount: Int? = nil) {
        let count = max(1, threadCount ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        self.threadCount = count
        state = PoolState()
        for index in 1..<count {
            let context = Unmanaged.passRetained(WorkerContext(state: state, index: index)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                context.state.workerLoop(index: context.index)
                return nil
            }, context)
            precondition(status == 0, "WorkerPool: pthread_create failed with \(status)")
            threads.append(thread)
        }
    }

    deinit {
        state.shutDown()
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Runs `body(task, worker)` for every task in `0..<taskCount`, spread over the
    /// pool's threads, and returns when all have finished.
    ///
    /// - Parameters:
    ///   - taskCount: independent pieces of work; each runs exactly once.
    ///   - body: the work; `worker` in `0..<threadCount` identifies the thread, so a
    ///     task can use per-thread scratch memory.
    public func run(taskCount: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        if threadCount == 1 || taskCount <= 1 {
            for task in 0..<taskCount { body(task, 0) }
            return
        }
        // Workers call the body through a pointer to this stack slot and never copy the
        // closure, so it does not outlive `withoutActuallyEscaping`.
        withoutActuallyEscaping(body) { job in
            var slot = job
            withUnsafePointer(to: &slot) { pointer in
                state.dispatch(job: pointer, taskCount: taskCount, workerCount: threadCount - 1)
            }
        }
    }
}

private final class WorkerContext {
    let state: PoolState
    let index: Int
    init(state: PoolState, index: Int) {
        self.state = state
        self.index = index
    }
}

/// Shared between the pool and its threads (the threads must not retain the pool,
/// or it would never deinitialise).
///
/// A job is finished when all its tasks are, not when every worker has checked in:
/// on a busy machine a descheduled worker would otherwise stall each of the ~150 jobs
/// of a decode step. Tasks are claimed from `claims`, which holds the job's generation
/// in its high 32 bits and the next task in its low 32 bits, so a worker that wakes
/// late (after its job ended) fails to claim and never calls a finished job's body.
private final class PoolState: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Held by the caller for a whole job, so concurrent callers take turns.
    private let callerLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// `generation << 32 | next task`.
    private let claims = Atomic<UInt64>(0)
    private let completed = Atomic<Int>(0)
    // Guarded by `lock`.
    private var generation: UInt64 = 0
    private var job: UnsafePointer<(Int, Int) -> Void>?
    private var taskCount = 0
    private var stopping = false
    /// Polls before sleeping: about 20-50 µs, longer than the gap between the jobs of
    /// one decode step and far shorter than a scheduler tick.
    private let spinLimit = 20_000

    init() {
        pthread_mutex_init(lock, nil)
        pthread_mutex_init(callerLock, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(finished, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        pthread_mutex_destroy(callerLock)
        callerLock.deallocate()
        pthread_cond_destroy(wake)
        pthread_cond_destroy(finished)
        lock.deallocate()
        wake.deallocate()
        finished.deallocate()
    }

    func dispatch(job: UnsafePointer<(Int, Int) -> Void>, taskCount: Int, workerCount: Int) {
        pthread_mutex_lock(callerLock)
        defer { pthread_mutex_unlock(callerLock) }
        pthread_mutex_lock(lock)
        generation &+= 1
        let generation = generation
        self.job = job
        self.taskCount = taskCount
        completed.store(0, ordering: .relaxed)
        claims.store(generation << 32, ordering: .releasing)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(lock)

        drain(job: job, generation: generation, taskCount: taskCount, worker: 0)

        var spins = 0
        while completed.load(ordering: .acquiring) < taskCount && spins < spinLimit { spins += 1 }
        pthread_mutex_lock(lock)
        while completed.load(ordering: .acquiring) < taskCount { pthread_cond_wait(finished, lock) }
        self.job = nil
        pthread_mutex_unlock(lock)
    }

    /// Claims and runs tasks of job `generation` until none are left.
    private func drain(job: UnsafePointer<(Int, Int) -> Void>, generation: UInt64, taskCount: Int, worker: Int) {
        var current = claims.load(ordering: .acquiring)
        while true {
            guard current >> 32 == generation, Int(current & 0xFFFF_FFFF) < taskCount else { return }
            let (exchanged, original) = claims.compareExchange(expected: current, desired: current &+ 1,
                                                               ordering: .acquiringAndReleasing)
            guard exchanged else {
                current = original
                continue
            }
            job.pointee(Int(current & 0xFFFF_FFFF), worker)
            if completed.add(1, ordering: .acquiringAndReleasing).newValue == taskCount {
                pthread_mutex_lock(lock)
                pthread_cond_signal(finished)
                pthread_mutex_unlock(lock)
            }
            current = claims.load(ordering: .acquiring)
        }
    }

    func workerLoop(index: Int) {
        var seen: UInt64 = 0
        while true {
            var spins = 0
            while claims.load(ordering: .acquiring) >> 32 == seen && spins < spinLimit { spins += 1 }
            pthread_mutex_lock(lock)
            while generation == seen && !stopping { pthread_cond_wait(wake, lock) }
            if stopping {
                pthread_mutex_unlock(lock)
                return
            }
            seen = generation
            let job = self.job
            let count = taskCount
            pthread_mutex_unlock(lock)
            if let job { drain(job: job, generation: seen, taskCount: count, worker: index) }
        }
    }

    func shutDown() {
        pthread_mutex_lock(lock)
        stopping = true
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(lock)
    }
}
