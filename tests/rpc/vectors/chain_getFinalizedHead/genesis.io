// the finalized head is the head on a dev chain
>> {"jsonrpc":"2.0","id":1,"method":"chain_getFinalizedHead"}
<< {"jsonrpc":"2.0","id":1,"result":"0x38a00263bed1490951e20f5d14c7c42dd656061829c606963c53ebdbe2fab5a0"}
