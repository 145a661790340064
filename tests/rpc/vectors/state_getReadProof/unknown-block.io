// at an unknown block: -32001
>> {"jsonrpc":"2.0","id":1,"method":"state_getReadProof","params":[["0x00"],"0xabababababababababababababababababababababababababababababababab"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"block 0xabababababababababababababababababababababababababababababababab not found"}}
