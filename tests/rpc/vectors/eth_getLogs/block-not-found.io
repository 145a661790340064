// a range ending beyond the head: -32001
>> {"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x0","toBlock":"0x10"}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"block 0x10 not found"}}
