export const id = 573;
export const ids = [573];
export const modules = {

/***/ 573:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   VersionParameter: () => (/* binding */ VersionParameter)
/* harmony export */ });
/* unused harmony exports VERSION_PARAMETER_FORM, checkVersionParameterName */
/* harmony import */ var _shared_aws_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(2860);
/* harmony import */ var _shared_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8382);
/* harmony import */ var _constants_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(7434);



/** What the SSM API accepts as a parameter name: a path "/a/b" or a plain "a-b_c.d", ≤ 2048 characters. */
const NAME = /^(?:(?:\/[A-Za-z0-9_.-]+)+|[A-Za-z0-9_.-]+)$/;
const VERSION_PARAMETER_FORM = 'an SSM parameter name: a path like "/rollway/prod/image-tag" or a plain name like "image-tag" (letters, digits, "_.-", at most 2048 characters)';
/** Checks the name; throws a ConfigurationError naming the input. */
function checkVersionParameterName(name) {
    if (name.length > 2048 || !NAME.test(name) || /^\/?aws|^\/?ssm/i.test(name)) {
        throw new ConfigurationError(Inputs.VersionParameter, VERSION_PARAMETER_FORM, name);
    }
    return name;
}
/** Deadline of one parameter call, retries included. */
const CALL_MS = 30_000;
class VersionParameter {
    config;
    client;
    constructor(config, client) {
        this.config = config;
        this.client = client;
    }
    async ssm() {
        if (!this.client) {
            const { SSMClient } = await Promise.all(/* import() */[__webpack_require__.e(861), __webpack_require__.e(736)]).then(__webpack_require__.t.bind(__webpack_require__, 4736, 19));
            this.client = new SSMClient((0,_shared_aws_js__WEBPACK_IMPORTED_MODULE_0__.awsClientConfig)(this.config.region));
        }
        return this.client;
    }
    /** The current value. A missing parameter, or one that is not a String, is refused naming the input. */
    async read() {
        const client = await this.ssm();
        const { GetParameterCommand } = await Promise.all(/* import() */[__webpack_require__.e(861), __webpack_require__.e(736)]).then(__webpack_require__.t.bind(__webpack_require__, 4736, 19));
        const { name } = this.config;
        let out;
        try {
            out = await (0,_shared_aws_js__WEBPACK_IMPORTED_MODULE_0__.awsCall)('GetParameter', name, (abortSignal) => client.send(new GetParameterCommand({ Name: name }), { abortSignal }), { deadline: Date.now() + CALL_MS });
        }
        catch (err) {
            if (err instanceof _shared_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .AwsCallError */ .iQ && err.code === 'ParameterNotFound') {
                throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ConfigurationError */ .j1(_constants_js__WEBPACK_IMPORTED_MODULE_2__/* .Inputs */ .G0.VersionParameter, `an existing SSM String parameter in ${this.config.region} (the stack that runs the fleet creates it; rolling-deploy never does)`, `${name} (not found)`);
            }
            throw err;
        }
        const p = out.Parameter;
        if (p?.Type !== 'String' || p.Value === undefined) {
            throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ConfigurationError */ .j1(_constants_js__WEBPACK_IMPORTED_MODULE_2__/* .Inputs */ .G0.VersionParameter, 'an SSM parameter of type String', `${name} (${p?.Type ?? 'no value'})`);
        }
        return p.Value;
    }
    /** Overwrites the value (the parameter exists: read() checked it). */
    async write(value) {
        const client = await this.ssm();
        const { PutParameterCommand } = await Promise.all(/* import() */[__webpack_require__.e(861), __webpack_require__.e(736)]).then(__webpack_require__.t.bind(__webpack_require__, 4736, 19));
        const { name } = this.config;
        await (0,_shared_aws_js__WEBPACK_IMPORTED_MODULE_0__.awsCall)('PutParameter', name, (abortSignal) => client.send(new PutParameterCommand({ Name: name, Value: value, Overwrite: true }), { abortSignal }), { deadline: Date.now() + CALL_MS });
    }
}


/***/ })

};
