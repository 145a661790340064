// the canonical hash at height 0
>> {"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash","params":["0x0"]}
<< {"jsonrpc":"2.0","id":1,"result":"0x38a00263bed1490951e20f5d14c7c42dd656061829c606963c53ebdbe2fab5a0"}
