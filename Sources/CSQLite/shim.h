#include <sqlite3.h>

#if defined(__linux__)
/* glibc 2.28+ exports renameat2; its declaration needs _GNU_SOURCE, which the system
   module was built without, so it is declared here. */
extern int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);
#endif

/* Renames `from` to `to` unless `to` exists (EEXIST then): a file appears complete, at
   once, with no moment in which it has two names. */
static inline int noncestore_rename_noreplace(const char *from, const char *to) {
#if defined(__linux__)
    return renameat2(-100 /* AT_FDCWD */, from, -100, to, 1 /* RENAME_NOREPLACE */);
#else
    return renamex_np(from, to, 0x00000004 /* RENAME_EXCL */);
#endif
}

/* Turns the connection's triggers on (1) or off (0): sqlite3_db_config is variadic, which
   Swift cannot call. Every prepared statement of the connection is expired by a change and
   prepared again on its next step (bindings kept). Returns SQLITE_OK or an error code. */
static inline int noncestore_enable_triggers(sqlite3 *db, int on) {
    int now = -1;
    return sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, on, &now);
}
