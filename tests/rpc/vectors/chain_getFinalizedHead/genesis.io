// the finalized head is the head on a dev chain
>> {"jsonrpc":"2.0","id":1,"method":"chain_getFinalizedHead"}
<< {"jsonrpc":"2.0","id":1,"result":"0xd0620d92c239fc49255c7b6fabad81d811184ecf1da15924a7c5368f1d35ff1a"}
