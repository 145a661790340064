// a timestamp before the head's: -32602
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
>> {"jsonrpc":"2.0","id":1,"method":"evm_mine","params":[1700000000]}
<< {"jsonrpc":"2.0","id":1,"result":"0x0"}
>> {"jsonrpc":"2.0","id":2,"method":"evm_setNextBlockTimestamp","params":[1699999999]}
<< {"jsonrpc":"2.0","id":2,"error":{"code":-32602,"message":"invalid params: timestamp 1699999999 is before the head block's 1700000000"}}
