export const id = 18;
export const ids = [18];
export const modules = {

/***/ 6018:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   FileLock: () => (/* binding */ FileLock),
/* harmony export */   FileVersionStore: () => (/* binding */ FileVersionStore)
/* harmony export */ });
/* unused harmony export writeFileAtomic */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var _fleet_dir_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(828);
/* harmony import */ var _shared_clock_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(6103);
/* harmony import */ var _types_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(4298);
/**
 * Version store and lock for self-hosted fleets: two JSON files in a state directory the orchestrator
 * chooses. Both are written so a reader never sees half a file: content goes to a temporary file in the
 * same directory first, then `rename` (replace) or `link` (create only if absent) puts it in place.
 */






function errnoCode(err) {
    return err?.code;
}
function tempPath(path) {
    return `${path}.${process.pid}.${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(6).toString('hex')}.tmp`;
}
/** Writes `text` to a temporary file beside `path` and flushes it; returns the temporary path. */
async function writeTemp(path, text) {
    await (0,_fleet_dir_js__WEBPACK_IMPORTED_MODULE_3__/* .mkdirp */ .Gu)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.dirname)(path));
    const tmp = tempPath(path);
    const handle = await node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.open(tmp, 'wx', 0o644);
    try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
    }
    finally {
        await handle.close();
    }
    return tmp;
}
/** Replaces `path` with `text` atomically (temporary file + rename). */
async function writeFileAtomic(path, text) {
    const tmp = await writeTemp(path, text);
    try {
        await node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rename(tmp, path);
    }
    catch (err) {
        await node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm(tmp, { force: true });
        throw err;
    }
}
/** One fleet's version records in one JSON file (see StateFile). */
class FileVersionStore {
    path;
    o;
    queue = Promise.resolve();
    constructor(path, o = {}) {
        this.path = path;
        this.o = o;
    }
    async get(targetIds) {
        const records = await this.records(targetIds);
        return new Map(targetIds.map((id) => [id, records.get(id)?.version]));
    }
    async records(targetIds) {
        const state = await this.read();
        return new Map(targetIds.map((id) => [id, state.targets[id]]));
    }
    /**
     * Read-modify-write; calls on one store are serialised so parallel batches never lose an update. The
     * version it replaces becomes the previous one, unless it is the same version again (a re-run keeps the
     * real previous one).
     */
    set(targetId, version) {
        const run = this.queue.then(async () => {
            const state = await this.read();
            const current = state.targets[targetId];
            const previousVersion = current && current.version !== version ? current.version : current?.previousVersion;
            state.targets[targetId] = {
                version,
                ...(previousVersion ? { previousVersion } : {}),
                deployedAt: new Date((this.o.clock ?? _shared_clock_js__WEBPACK_IMPORTED_MODULE_4__/* .systemClock */ .m).now()).toISOString(),
                runUrl: this.o.runUrl ?? '',
            };
            const doc = { ...(this.o.fleet ? { fleet: this.o.fleet } : {}), targets: state.targets };
            await writeFileAtomic(this.path, `${JSON.stringify(doc, null, 2)}\n`);
        });
        this.queue = run.catch(() => undefined);
        return run;
    }
    /** The whole state file (empty when it does not exist yet). */
    async read() {
        let text;
        try {
            text = await node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readFile(this.path, 'utf8');
        }
        catch (err) {
            if (errnoCode(err) === 'ENOENT')
                return { targets: {} };
            throw err;
        }
        let parsed;
        try {
            parsed = JSON.parse(text);
        }
        catch (err) {
            throw new Error(`version state file ${this.path} is not valid JSON: ${err.message}`);
        }
        const doc = (parsed ?? {});
        if (this.o.fleet && doc.fleet !== undefined && doc.fleet !== this.o.fleet) {
            throw new Error(`version state file ${this.path} belongs to ${String(doc.fleet)}, not ${this.o.fleet}: ` +
                'give each fleet its own state-dir (or leave state-dir empty)');
        }
        const targets = doc.targets;
        if (typeof targets !== 'object' || targets === null || Array.isArray(targets)) {
            throw new Error(`version state file ${this.path} has no "targets" object`);
        }
        const out = {};
        for (const [id, r] of Object.entries(targets)) {
            const rec = r;
            if (rec && typeof rec.version === 'string')
                out[id] = rec;
        }
        return { ...(typeof doc.fleet === 'string' ? { fleet: doc.fleet } : {}), targets: out };
    }
}
/** A takeover guard older than this was left by a crashed run and is cleared. */
const STALE_GUARD_MS = 10_000;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * A lease in a JSON file. Taking it creates the file only if absent (`link` of a complete temporary
 * file: exclusive like O_EXCL, and never visible half-written). Everything that removes or replaces a
 * lease (takeover of an expired one, force, release, renewal) first takes a short-lived guard file the
 * same exclusive way and re-checks, under the guard, that the lease is still the one it judged (by
 * inode and content, which holds a random nonce). So two runs that both saw a lease expire cannot both remove it,
 * and none can remove the lease another has just taken.
 */
class FileLock {
    path;
    resource;
    clock;
    guardPath;
    constructor(path, o = {}) {
        this.path = path;
        this.resource = o.resource ?? `the lock file ${path}`;
        this.clock = o.clock ?? _shared_clock_js__WEBPACK_IMPORTED_MODULE_4__/* .systemClock */ .m;
        this.guardPath = `${path}.guard`;
    }
    async acquire(lease, force) {
        const text = `${JSON.stringify({ ...lease, acquiredAt: new Date(this.clock.now()).toISOString(), nonce: (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(8).toString('hex') }, null, 2)}\n`;
        for (let attempt = 0; attempt < 200; attempt++) {
            if (await this.createExclusive(this.path, text))
                return;
            const held = await this.readHeld();
            if (!held)
                continue; // released between our create and our read
            const mine = held.info.owner === lease.owner;
            if (!mine && !force && !this.expired(held.info))
                throw new _types_js__WEBPACK_IMPORTED_MODULE_5__/* .LockHeldError */ .R(this.resource, held.info);
            // Ours already (a retried step): renew. Expired or forced: clear it and try again.
            const done = await this.underGuard(held.id, async () => {
                if (mine)
                    await writeFileAtomic(this.path, text);
                else
                    await node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.unlink(this.path);
            });
            if (done && mine)
                return;
            if (done === undefined)
                await pause(5 + Math.random() * 10);
            if (done)
                force = false; // cleared once; from here on a new holder is a real one
        }
        throw new Error(`could not take ${this.resource}: it kept changing hands`);
    }
    async release(owner) {
        for (let attempt = 0; attempt < 200; attempt++) {
            const held = await this.readHeld();
            if (!held || held.info.owner !== owner)
                return;
            const done = await this.underGuard(held.id, () => node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.unlink(this.path));
            if (done !== undefined)
                return;
            await pause(5 + Math.random() * 10);
        }
        throw new Error(`could not release ${this.resource}: its guard file ${this.guardPath} stays taken`);
    }
    /** The current holder, if any (for status output). */
    async holder() {
        return (await this.readHeld())?.info;
    }
    expired(info) {
        const t = Date.parse(info.expiresAt);
        // An unreadable expiry never expires: force-unlock is the way out.
        return Number.isFinite(t) && t <= this.clock.now();
    }
    /**
     * Runs `fn` holding the guard, if the lease is still the one identified by `id`. Resolves true when it
     * ran, false when the lease changed meanwhile, undefined when another run holds the guard.
     */
    async underGuard(id, fn) {
        if (!(await this.createExclusive(this.guardPath, `${process.pid}\n`))) {
            await this.clearStaleGuard();
            return undefined;
        }
        try {
            const now = await this.readHeld();
            if (!now || now.id !== id)
                return false;
            await fn();
            return true;
        }
        finally {
            await node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm(this.guardPath, { force: true });
        }
    }
    async clearStaleGuard() {
        try {
            const st = await node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.stat(this.guardPath);
            if (Date.now() - st.mtimeMs > STALE_GUARD_MS)
                await node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm(this.guardPath, { force: true });
        }
        catch (err) {
            if (errnoCode(err) !== 'ENOENT')
                throw err;
        }
    }
    async createExclusive(path, text) {
        const tmp = await writeTemp(path, text);
        try {
            await node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.link(tmp, path);
            return true;
        }
        catch (err) {
            if (errnoCode(err) === 'EEXIST')
                return false;
            throw err;
        }
        finally {
            await node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm(tmp, { force: true });
        }
    }
    async readHeld() {
        let handle;
        try {
            handle = await node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.open(this.path, 'r');
        }
        catch (err) {
            if (errnoCode(err) === 'ENOENT')
                return undefined;
            throw err;
        }
        try {
            const [st, text] = await Promise.all([handle.stat(), handle.readFile('utf8')]);
            return { info: parseLease(text, this.path), id: `${st.ino}:${text}` };
        }
        finally {
            await handle.close();
        }
    }
}
function parseLease(text, path) {
    try {
        const v = JSON.parse(text);
        if (typeof v.owner === 'string' && typeof v.expiresAt === 'string') {
            return { owner: v.owner, runUrl: typeof v.runUrl === 'string' ? v.runUrl : '', expiresAt: v.expiresAt };
        }
    }
    catch {
        // fall through
    }
    return { owner: 'an unknown holder (unreadable lock file)', runUrl: path, expiresAt: 'an unknown time' };
}


/***/ }),

/***/ 4298:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   R: () => (/* binding */ LockHeldError)
/* harmony export */ });
/**
 * The seams of rolling-deploy. One orchestrator drives every combination of a router (who sends
 * traffic where) and an executor (how a deploy runs on one target); tests swap in fakes.
 */
class LockHeldError extends Error {
    resource;
    holder;
    name = 'LockHeldError';
    constructor(resource, holder) {
        super(`${resource} is locked by ${holder.owner} (${holder.runUrl}) until ${holder.expiresAt}; ` +
            'wait for that deploy, or set force-unlock: true if it is gone');
        this.resource = resource;
        this.holder = holder;
    }
}


/***/ })

};
