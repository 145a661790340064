// an empty filter means the head block
>> {"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{}]}
<< {"jsonrpc":"2.0","id":1,"result":[]}
