// the canonical hash at height 0
>> {"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash","params":["0x0"]}
<< {"jsonrpc":"2.0","id":1,"result":"0x9757dd5bcf3f7c73fd6d3b81edd5fdffd6d857b847352db64692bd031f1232c1"}
