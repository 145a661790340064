// an unknown blockHash: -32001
>> {"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"blockHash":"0xabababababababababababababababababababababababababababababababab"}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"block 0xabababababababababababababababababababababababababababababababab not found"}}
