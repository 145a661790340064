// at an unknown block: -32001
>> {"jsonrpc":"2.0","id":1,"method":"state_getStorage","params":["0xa65b1ef8ee6544359221f3cf316f7683f0729608244859f656d32ae4cbc6b036e9707d0e6171f728f7473c24cc0432a9f39fd6e51aad88f6f4ce6ab8827279cfffb92266","0xabababababababababababababababababababababababababababababababab"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"block 0xabababababababababababababababababababababababababababababababab not found"}}
