//! Password hashing with argon2id, on a small fixed pool of hashing threads.
//!
//! An argon2id hash with the crate's default parameters fills 19 MiB of memory. Hashing on tokio's
//! blocking pool let every concurrent login take its own 19 MiB on a thread of its own, and the
//! allocator kept most of it afterwards: 200 concurrent failed logins took the process to 4.3 GB.
//! Here, `min(cores, 4)` dedicated threads hash, one job at a time each, so that hashing never takes
//! more than that many × 19 MiB, whatever the load. A request waits for a free thread at most
//! [`SLOT_WAIT`]; past it, it is refused with 429 and `Retry-After` (the server is busy: more
//! hashing would only make every answer later).
//!
//! Each job's memory is one allocation of [`JOB_MEMORY_BYTES`], more than the largest block glibc's
//! allocator keeps in its arenas (32 MiB on 64-bit: larger ones are always mapped from the system,
//! and unmapped when freed), of which only the 19 MiB the hash needs are ever touched. So the memory
//! goes back to the system as soon as the hash is done, and an instance under attack comes back to
//! its idle size afterwards, instead of keeping every thread's buffer.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH`), the format the argon2
//! crate's `PasswordHasher` writes, so that hashes stored before this pool existed verify as they
//! did: a stored hash is verified with its own algorithm, version and parameters.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{Semaphore, oneshot};

use crate::error::AppError;

/// How long a request waits for a free hashing thread before it is refused.
pub const SLOT_WAIT: Duration = Duration::from_secs(2);

/// What a refused request is told to wait: about what the queue it found takes to drain.
const BUSY_RETRY_AFTER: Duration = Duration::from_secs(2);

/// The most hashing threads, whatever the number of cores: each holds 19 MiB.
const MAX_THREADS: usize = 4;

/// The size of each job's memory allocation: above glibc's largest arena-kept block (32 MiB), so
/// that it is mapped and unmapped, never kept.
pub const JOB_MEMORY_BYTES: usize = 33 * 1024 * 1024;

/// A hashing job: runs on a hashing thread with memory of its own, freed when it is done.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

struct Pool {
    /// One permit per thread: at most that many jobs are queued or running, so none waits in the
    /// channel and a request's wait is bounded by `wait` alone.
    slots: Arc<Semaphore>,
    jobs: Sender<Job>,
    /// How long a request waits for a free thread.
    wait: Duration,
}

/// The number of hashing threads: one per core, at most [`MAX_THREADS`], at least one.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get).clamp(1, MAX_THREADS)
}

/// The process's pool, started on first use.
fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool::start(threads(), SLOT_WAIT))
}

impl Pool {
    fn start(threads: usize, wait: Duration) -> Self {
        let (jobs, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut started = 0;
        for index in 0..threads {
            let receiver = receiver.clone();
            match std::thread::Builder::new().name(format!("argon2-{index}")).spawn(move || work(&receiver)) {
                Ok(_) => started += 1,
                Err(error) => tracing::error!(%error, "could not start a password hashing thread"),
            }
        }
        let slots = Arc::new(Semaphore::new(started));
        if started == 0 {
            // Every hash then fails at once (500) instead of waiting for a thread that never comes.
            slots.close();
        }
        Pool { slots, jobs, wait }
    }

    /// Runs `f` on a hashing thread, once one is free within `self.wait`.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_closed)) => {
                return Err(AppError::internal(anyhow::anyhow!("the password hashing pool is closed")));
            }
            Err(_elapsed) => {
                tracing::debug!("no password hashing thread free: request refused");
                return Err(AppError::too_many_requests("server_busy", "error.server_busy", BUSY_RETRY_AFTER));
            }
        };
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = done.send(f(memory));
            // The slot frees only once the work is done, even if the request was abandoned meanwhile.
            drop(permit);
        });
        self.jobs
            .send(job)
            .map_err(|_| AppError::internal(anyhow::anyhow!("no password hashing thread is running")))?;
        result.await.map_err(|_| AppError::internal(anyhow::anyhow!("a password hashing job failed")))
    }
}

/// A hashing thread: takes jobs one at a time until the pool is dropped, each with memory of its own
/// that goes back to the system when the job is done.
fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = receiver.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        let mut memory: Vec<Block> = Vec::with_capacity(JOB_MEMORY_BYTES / std::mem::size_of::<Block>());
        // A panicking job (none should) must not take the thread with it.
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut memory))).is_err() {
            tracing::error!("a password hashing job panicked");
        }
    }
}

/// `memory` with the blocks `params` need (within its capacity unless a stored hash asks for more
/// than [`JOB_MEMORY_BYTES`]; only those blocks are ever written).
fn blocks<'a>(memory: &'a mut Vec<Block>, params: &Params) -> &'a mut [Block] {
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    memory.as_mut_slice()
}

/// A new PHC string for `password`: argon2id, version 19, the crate's default parameters.
pub async fn hash(password: String) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    pool()
        .run(move |memory| hash_with(memory, password.as_bytes(), salt.as_salt()))
        .await?
        .map_err(|e| AppError::internal(anyhow::anyhow!("hashing a password: {e}")))
}

fn hash_with(memory: &mut Vec<Block>, password: &[u8], salt: Salt<'_>) -> Result<String, argon2::password_hash::Error> {
    let params = Params::default();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        Ok(argon2.hash_password_into_with_memory(password, salt_bytes, out, blocks(memory, &params))?)
    })?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string `hash`. A malformed stored hash counts as no
/// match (and is logged).
pub async fn verify(password: String, hash: String) -> Result<bool, AppError> {
    pool()
        .run(move |memory| match verify_with(memory, password.as_bytes(), &hash) {
            Ok(matches) => matches,
            Err(e) => {
                tracing::error!(error = %e, "stored password hash does not parse");
                false
            }
        })
        .await
}

fn verify_with(memory: &mut Vec<Block>, password: &[u8], hash: &str) -> Result<bool, argon2::password_hash::Error> {
    use argon2::password_hash::Error;
    let parsed = PasswordHash::new(hash)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(Error::PhcStringField);
    };
    let algorithm = Algorithm::try_from(parsed.algorithm)?;
    let version = parsed.version.map(Version::try_from).transpose()?.unwrap_or_default();
    let params = Params::try_from(&parsed)?;
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let computed = Output::init_with(expected.len(), |out| {
        Ok(argon2.hash_password_into_with_memory(password, salt_bytes, out, blocks(memory, &params))?)
    })?;
    // `Output`'s equality runs in constant time.
    Ok(computed == expected)
}

/// Spends the time of one verification, for logins whose username does not exist, so that a
/// failed login takes as long whether or not the member exists.
pub async fn verify_nothing(password: String) -> Result<(), AppError> {
    pool()
        .run(move |memory| {
            let params = Params::default();
            let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
            let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
            let _ = argon2.hash_password_into_with_memory(
                password.as_bytes(),
                b"maillage: no such member",
                &mut out,
                blocks(memory, &params),
            );
        })
        .await
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    /// Hashes written by the argon2 crate's own `PasswordHasher` (every hash stored so far) verify.
    #[tokio::test]
    async fn hashes_from_the_argon2_crate_still_verify() {
        let salt = SaltString::generate(&mut OsRng);
        let stored = Argon2::default().hash_password(b"correct horse battery", &salt).unwrap().to_string();
        assert!(verify("correct horse battery".to_owned(), stored.clone()).await.unwrap());
        assert!(!verify("correct horse batterie".to_owned(), stored).await.unwrap());
    }

    /// Our hashes are the crate's PHC strings, byte for byte, and the crate verifies them.
    #[tokio::test]
    async fn our_hashes_are_the_crates_phc_strings() {
        let ours = hash("correct horse battery".to_owned()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
        assert!(Argon2::default().verify_password(b"correct horse battery", &parsed).is_ok());
        let salt = parsed.salt.unwrap();
        let theirs = Argon2::default().hash_password(b"correct horse battery", salt).unwrap().to_string();
        assert_eq!(ours, theirs);
        assert!(verify("correct horse battery".to_owned(), ours).await.unwrap());
    }

    /// A hash with other parameters than ours (a smaller or larger buffer) verifies with its own.
    #[tokio::test]
    async fn other_parameters_verify_with_their_own() {
        for (m_cost, t_cost, p_cost) in [(8192, 3, 1), (32768, 1, 2)] {
            let params = Params::new(m_cost, t_cost, p_cost, None).unwrap();
            let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
            let salt = SaltString::generate(&mut OsRng);
            let stored = argon2.hash_password(b"another long password", &salt).unwrap().to_string();
            assert!(verify("another long password".to_owned(), stored.clone()).await.unwrap(), "{stored}");
            assert!(!verify("another long passwort".to_owned(), stored).await.unwrap());
        }
    }

    /// However many requests come at once, a pool runs as many hashes as it has threads, each in
    /// memory of its own that is one mapped allocation (above glibc's arena limit of 32 MiB).
    #[tokio::test]
    async fn a_pool_hashes_on_its_threads_only_in_memory_it_gives_back() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let pool = Arc::new(Pool::start(2, Duration::from_secs(60)));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..24)
            .map(|i| {
                let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    pool.run(move |memory| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        let salt = SaltString::encode_b64(format!("salt of job {i}").as_bytes()).unwrap();
                        let hash = hash_with(memory, b"guess", salt.as_salt()).unwrap();
                        running.fetch_sub(1, Ordering::SeqCst);
                        (hash, memory.capacity() * std::mem::size_of::<Block>(), memory.len())
                    })
                    .await
                    .unwrap()
                })
            })
            .collect();
        for job in jobs {
            let (hash, allocated, blocks) = job.await.unwrap();
            assert!(hash.starts_with("$argon2id$"), "{hash}");
            assert_eq!(blocks, Params::default().block_count());
            assert!(allocated > 32 * 1024 * 1024, "{allocated} bytes could stay in an arena");
        }
        assert!(most.load(Ordering::SeqCst) <= 2, "{} hashes at once", most.load(Ordering::SeqCst));
    }

    /// A request that finds every thread busy for longer than the pool's wait is told to retry.
    #[tokio::test]
    async fn no_free_thread_in_time_is_a_429_with_retry_after() {
        let pool = Arc::new(Pool::start(1, Duration::from_millis(200)));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started, is_started) = oneshot::channel();
        let busy = tokio::spawn({
            let pool = pool.clone();
            async move {
                pool.run(move |_| {
                    let _ = started.send(());
                    let _ = released.recv();
                })
                .await
            }
        });
        is_started.await.unwrap();
        let refused = pool.run(|_| ()).await.unwrap_err();
        assert_eq!(refused.status, axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.code, "server_busy");
        assert_eq!(refused.retry_after, Some(BUSY_RETRY_AFTER));
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        pool.run(|_| ()).await.unwrap();
    }

    #[tokio::test]
    async fn a_malformed_stored_hash_is_no_match() {
        assert!(!verify("x".to_owned(), "not a hash".to_owned()).await.unwrap());
        assert!(!verify("x".to_owned(), "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ".to_owned()).await.unwrap());
    }
}
