use std::sync::Arc;

use openraft::StorageError;
use openraft::testing::{StoreBuilder, Suite};

use super::*;

struct Builder;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, tempfile::TempDir> for Builder {
    async fn build(
        &self,
    ) -> std::result::Result<(tempfile::TempDir, LogStore, StateMachine), StorageError<NodeId>>
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Arc::new(RedbDb::open(&dir.path().join("kelp.redb")).expect("open db"));
        let mvcc = Mvcc::open(RedbBackend::new(db.clone(), false)).expect("open mvcc");
        let sm = StateMachine::new(mvcc, dir.path().join("snapshot.bin"))?;
        Ok((dir, LogStore::new(db), sm))
    }
}

#[test]
fn openraft_storage_suite() {
    Suite::test_all(Builder).expect("openraft storage suite");
}
